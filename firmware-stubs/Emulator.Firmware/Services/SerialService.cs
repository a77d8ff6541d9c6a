using Emulator.Firmware.Hardware;

namespace Emulator.Firmware.Services;

/// <summary>INT 14h on the 16550 UARTs listed in the BDA: initialise (AH=00h), send (01h), receive (02h), status (03h), through the UART's ports.</summary>
internal sealed class SerialService(FirmwareContext context)
{
    private const int Data = 0;
    private const int InterruptEnable = 1;
    private const int LineControl = 3;
    private const int ModemControl = 4;
    private const int LineStatus = 5;
    private const int ModemStatus = 6;
    private const byte DivisorLatch = 0x80;
    private const byte DataReady = 0x01;
    private const byte TransmitEmpty = 0x20;
    private const byte TimeoutBit = 0x80;
    private const int MaxPorts = 4;
    private const int PollLimit = 10_000;
    private static readonly ushort[] Divisors = [0x417, 0x300, 0x180, 0xC0, 0x60, 0x30, 0x18, 0x0C];

    public BiosServiceResult Handle(BiosCall call)
    {
        var basePort = call.DX < MaxPorts ? context.Memory.ReadWord(Bda.ComPorts + (uint)(call.DX * 2)) : (ushort)0;
        if (basePort == 0)
        {
            call.AH = TimeoutBit;
            return BiosServiceResult.Done;
        }

        var ports = context.Ports;
        switch (call.AH)
        {
            case 0x00:
            {
                var divisor = Divisors[call.AL >> 5];
                ports.WriteByte((ushort)(basePort + LineControl), DivisorLatch);
                ports.WriteByte((ushort)(basePort + Data), (byte)divisor);
                ports.WriteByte((ushort)(basePort + InterruptEnable), (byte)(divisor >> 8));
                ports.WriteByte((ushort)(basePort + LineControl), (byte)(call.AL & 0x1F));
                ports.WriteByte((ushort)(basePort + ModemControl), 0x03);
                Status(call, basePort);
                break;
            }

            case 0x01:
            {
                var ready = Poll(basePort, TransmitEmpty);
                if (ready)
                {
                    ports.WriteByte((ushort)(basePort + Data), call.AL);
                }

                call.AH = (byte)(ports.ReadByte((ushort)(basePort + LineStatus)) | (ready ? 0 : TimeoutBit));
                break;
            }

            case 0x02:
                if (Poll(basePort, DataReady))
                {
                    call.AL = ports.ReadByte((ushort)(basePort + Data));
                    call.AH = (byte)(ports.ReadByte((ushort)(basePort + LineStatus)) & 0x1E);
                }
                else
                {
                    call.AH = TimeoutBit;
                }

                break;
            case 0x03:
                Status(call, basePort);
                break;
        }

        return BiosServiceResult.Done;
    }

    private void Status(BiosCall call, ushort basePort)
    {
        call.AH = context.Ports.ReadByte((ushort)(basePort + LineStatus));
        call.AL = context.Ports.ReadByte((ushort)(basePort + ModemStatus));
    }

    private bool Poll(ushort basePort, byte bit)
    {
        for (var i = 0; i < PollLimit; i++)
        {
            if ((context.Ports.ReadByte((ushort)(basePort + LineStatus)) & bit) != 0)
            {
                return true;
            }
        }

        return false;
    }
}
