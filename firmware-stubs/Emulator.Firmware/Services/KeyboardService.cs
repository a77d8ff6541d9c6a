using Emulator.Firmware.Hardware;

namespace Emulator.Firmware.Services;

/// <summary>
/// The keyboard BIOS: the IRQ1 handler (INT 09h) reads set-1 scan codes from port 60h, tracks shift,
/// control, alt and the lock keys in the BDA, and queues (scan code, character) words in the BDA ring
/// buffer; INT 16h reads them (AH=00h/10h wait, 01h/11h peek, 02h/12h shift state, 05h store).
/// A wait with an empty buffer returns <see cref="BiosServiceResult.WaitForInterrupt"/>, so the ROM
/// stub halts until the next interrupt instead of spinning.
/// </summary>
internal sealed class KeyboardService(FirmwareContext context)
{
    private const ushort KbcData = 0x60;
    private const ushort MasterPicCommand = 0x20;
    private const byte PicEoi = 0x20;
    private const byte RightShiftFlag = 0x01;
    private const byte LeftShiftFlag = 0x02;
    private const byte ControlFlag = 0x04;
    private const byte AltFlag = 0x08;
    private const byte ScrollLockFlag = 0x10;
    private const byte NumLockFlag = 0x20;
    private const byte CapsLockFlag = 0x40;
    private const byte ExtendedPendingFlag = 0x02;
    private const byte ExtendedAscii = 0xE0;
    private const byte FirstFunctionKey = 0x3B;
    private const byte LastFunctionKey = 0x44;
    private const byte FirstKeypadKey = 0x47;
    private const byte LastKeypadKey = 0x53;
    private const ushort KeyboardId = 0x41AB;

    public BiosServiceResult Interrupt(BiosCall call)
    {
        var code = context.Ports.ReadByte(KbcData);
        Process(code);
        context.Ports.WriteByte(MasterPicCommand, PicEoi);
        return BiosServiceResult.Done;
    }

    public BiosServiceResult Handle(BiosCall call)
    {
        var memory = context.Memory;
        switch (call.AH)
        {
            case 0x00:
            case 0x10:
            {
                if (!TryPeek(out var key))
                {
                    return BiosServiceResult.WaitForInterrupt;
                }

                Dequeue();
                call.AX = call.AH == 0x00 ? Classic(key) : key;
                break;
            }

            case 0x01:
            case 0x11:
                if (TryPeek(out var next))
                {
                    call.AX = call.AH == 0x01 ? Classic(next) : next;
                    call.Zero = false;
                }
                else
                {
                    call.Zero = true;
                }

                break;
            case 0x02:
                call.AL = memory.ReadByte(Bda.KeyboardFlags);
                break;
            case 0x12:
                call.AL = memory.ReadByte(Bda.KeyboardFlags);
                call.AH = memory.ReadByte(Bda.KeyboardFlags2);
                break;
            case 0x05:
                call.AL = Enqueue(call.CX) ? (byte)0 : (byte)1;
                break;
            case 0x0A:
                call.BX = KeyboardId;
                break;
        }

        return BiosServiceResult.Done;
    }

    /// <summary>AH=00h/01h hide extended keys' E0h marker, as the classic functions did.</summary>
    private static ushort Classic(ushort key) => (key & 0xFF) == ExtendedAscii ? (ushort)(key & 0xFF00) : key;

    private void Process(byte code)
    {
        var memory = context.Memory;
        var flags = memory.ReadByte(Bda.KeyboardFlags);
        var flags3 = memory.ReadByte(Bda.KeyboardFlags3);
        if (code == KeyboardLayout.ExtendedPrefix)
        {
            memory.WriteByte(Bda.KeyboardFlags3, (byte)(flags3 | ExtendedPendingFlag));
            return;
        }

        var extended = (flags3 & ExtendedPendingFlag) != 0;
        memory.WriteByte(Bda.KeyboardFlags3, (byte)(flags3 & ~ExtendedPendingFlag));
        var released = (code & KeyboardLayout.ReleaseBit) != 0;
        var key = (byte)(code & ~KeyboardLayout.ReleaseBit);
        var shiftBit = key switch
        {
            KeyboardLayout.LeftShift when !extended => LeftShiftFlag,
            KeyboardLayout.RightShift => RightShiftFlag,
            KeyboardLayout.Control => ControlFlag,
            KeyboardLayout.Alt => AltFlag,
            _ => (byte)0,
        };
        if (shiftBit != 0)
        {
            memory.WriteByte(Bda.KeyboardFlags, released ? (byte)(flags & ~shiftBit) : (byte)(flags | shiftBit));
            return;
        }

        if (released)
        {
            return;
        }

        var toggle = key switch
        {
            KeyboardLayout.CapsLock => CapsLockFlag,
            KeyboardLayout.NumLock => NumLockFlag,
            KeyboardLayout.ScrollLock => ScrollLockFlag,
            _ => (byte)0,
        };
        if (toggle != 0)
        {
            memory.WriteByte(Bda.KeyboardFlags, (byte)(flags ^ toggle));
            return;
        }

        Enqueue(Translate(key, extended, flags));
    }

    private static ushort Translate(byte key, bool extended, byte flags)
    {
        var shift = (flags & (LeftShiftFlag | RightShiftFlag)) != 0;
        var control = (flags & ControlFlag) != 0;
        var alt = (flags & AltFlag) != 0;
        if (extended || (key is >= FirstKeypadKey and <= LastKeypadKey && (flags & NumLockFlag) == 0))
        {
            // Cursor and editing keys: no character (E0h marks the dedicated ones for the enhanced calls).
            return (ushort)((key << 8) | (extended ? ExtendedAscii : 0));
        }

        if (key is >= FirstFunctionKey and <= LastFunctionKey)
        {
            var offset = alt ? 0x2D : control ? 0x23 : shift ? 0x19 : 0;
            return (ushort)((key + offset) << 8);
        }

        var character = KeyboardLayout.Character(key, shift);
        if (char.IsAsciiLetter(character) && (flags & CapsLockFlag) != 0)
        {
            character = char.IsAsciiLetterUpper(character) ? char.ToLowerInvariant(character) : char.ToUpperInvariant(character);
        }

        if (alt)
        {
            return (ushort)(key << 8);
        }

        if (control && char.IsAsciiLetter(character))
        {
            return (ushort)((key << 8) | (char.ToUpperInvariant(character) - '@'));
        }

        return (ushort)((key << 8) | character);
    }

    private bool TryPeek(out ushort key)
    {
        var memory = context.Memory;
        var head = memory.ReadWord(Bda.KeyboardHead);
        if (head == memory.ReadWord(Bda.KeyboardTail))
        {
            key = 0;
            return false;
        }

        key = memory.ReadWord(Bda.Base + head);
        return true;
    }

    private void Dequeue()
    {
        var memory = context.Memory;
        memory.WriteWord(Bda.KeyboardHead, Advance(memory.ReadWord(Bda.KeyboardHead)));
    }

    private bool Enqueue(ushort key)
    {
        var memory = context.Memory;
        var tail = memory.ReadWord(Bda.KeyboardTail);
        var next = Advance(tail);
        if (next == memory.ReadWord(Bda.KeyboardHead))
        {
            return false;
        }

        memory.WriteWord(Bda.Base + tail, key);
        memory.WriteWord(Bda.KeyboardTail, next);
        return true;
    }

    private ushort Advance(ushort offset)
    {
        var start = context.Memory.ReadWord(Bda.KeyboardBufferStart);
        var end = context.Memory.ReadWord(Bda.KeyboardBufferEnd);
        if (start >= end || start < Bda.KeyboardBufferFirst)
        {
            start = Bda.KeyboardBufferFirst;
            end = Bda.KeyboardBufferLimit;
        }

        offset += 2;
        return offset >= end ? start : offset;
    }
}
