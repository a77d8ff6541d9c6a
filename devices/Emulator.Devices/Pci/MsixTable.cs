using Emulator.Machine.Pci;

namespace Emulator.Devices.Pci;

/// <summary>
/// The MSI-X table and pending bit array of one function (PCI Local Bus Specification 3.0,
/// section 6.8.2): 16-byte entries {message address low, high, data, vector control} and one
/// pending bit per vector. A notification on a masked vector (its own mask bit or the function
/// mask) sets the pending bit and is sent when the vector is unmasked. A message is a dword write
/// of the data to the address, handed to the bus's <see cref="MsiDelivery"/>.
/// </summary>
internal sealed class MsixTable
{
    public const int EntrySize = 16;
    private const int AddressLowOffset = 0;
    private const int AddressHighOffset = 4;
    private const int DataOffset = 8;
    private const int ControlOffset = 12;
    private const uint VectorMasked = 1;
    private const int DwordBytes = 4;
    private const int QwordBits = 64;
    private const int DwordBits = 32;

    private readonly uint[] _addressLow;
    private readonly uint[] _addressHigh;
    private readonly uint[] _data;
    private readonly uint[] _control;
    private readonly ulong[] _pending;
    private readonly Func<MsiDelivery?> _delivery;

    public MsixTable(int vectors, Func<MsiDelivery?> delivery)
    {
        Vectors = vectors;
        _delivery = delivery;
        _addressLow = new uint[vectors];
        _addressHigh = new uint[vectors];
        _data = new uint[vectors];
        _control = new uint[vectors];
        _pending = new ulong[(vectors + QwordBits - 1) / QwordBits];
        Reset();
    }

    public int Vectors { get; }

    /// <summary>MSI-X Enable in the capability's message control.</summary>
    public bool Enabled { get; private set; }

    public bool FunctionMasked { get; private set; }

    public int TableBytes => Vectors * EntrySize;

    public void Reset()
    {
        Array.Clear(_addressLow);
        Array.Clear(_addressHigh);
        Array.Clear(_data);
        Array.Fill(_control, VectorMasked);
        Array.Clear(_pending);
        Enabled = FunctionMasked = false;
    }

    /// <summary>The capability's enable and function-mask bits changed; unmasking sends what is pending.</summary>
    public void SetControl(bool enabled, bool functionMasked)
    {
        Enabled = enabled;
        FunctionMasked = functionMasked;
        SendPending();
    }

    /// <summary>Signals <paramref name="vector"/>; vectors past the table (VIRTIO_MSI_NO_VECTOR) send nothing.</summary>
    public void Notify(ushort vector)
    {
        if (vector >= Vectors)
        {
            return;
        }

        if (FunctionMasked || (_control[vector] & VectorMasked) != 0)
        {
            _pending[vector / QwordBits] |= 1UL << (vector % QwordBits);
            return;
        }

        Send(vector);
    }

    /// <summary>Reads a dword of the table at <paramref name="offset"/>.</summary>
    public uint ReadTable(int offset)
    {
        var entry = offset / EntrySize;
        if ((uint)entry >= (uint)Vectors)
        {
            return 0;
        }

        return (offset % EntrySize) switch
        {
            AddressLowOffset => _addressLow[entry],
            AddressHighOffset => _addressHigh[entry],
            DataOffset => _data[entry],
            _ => _control[entry],
        };
    }

    public void WriteTable(int offset, uint value)
    {
        var entry = offset / EntrySize;
        if ((uint)entry >= (uint)Vectors)
        {
            return;
        }

        switch (offset % EntrySize)
        {
            case AddressLowOffset:
                _addressLow[entry] = value;
                break;
            case AddressHighOffset:
                _addressHigh[entry] = value;
                break;
            case DataOffset:
                _data[entry] = value;
                break;
            case ControlOffset:
                _control[entry] = value & VectorMasked;
                SendPending();
                break;
        }
    }

    /// <summary>Reads a dword of the pending bit array at <paramref name="offset"/>.</summary>
    public uint ReadPending(int offset)
    {
        var qword = offset / (2 * DwordBytes);
        if ((uint)qword >= (uint)_pending.Length)
        {
            return 0;
        }

        return (uint)(_pending[qword] >> (offset % (2 * DwordBytes) == 0 ? 0 : DwordBits));
    }

    public bool IsPending(int vector) => (_pending[vector / QwordBits] & (1UL << (vector % QwordBits))) != 0;

    private void SendPending()
    {
        if (!Enabled || FunctionMasked)
        {
            return;
        }

        for (var vector = 0; vector < Vectors; vector++)
        {
            if (IsPending(vector) && (_control[vector] & VectorMasked) == 0)
            {
                _pending[vector / QwordBits] &= ~(1UL << (vector % QwordBits));
                Send(vector);
            }
        }
    }

    private void Send(int vector) =>
        _delivery()?.Deliver(((ulong)_addressHigh[vector] << DwordBits) | _addressLow[vector], _data[vector]);
}
