using Emulator.Firmware.Disks;
using Emulator.Firmware.Rom;
using Emulator.Machine.Bus;
using Emulator.Machine.Cpu;
using Emulator.Machine.Memory;

namespace Emulator.Firmware.Services;

/// <summary>
/// The port behind every ROM stub (<see cref="FirmwareTrap.Port"/>): a write runs the named service
/// for the call in progress, a read returns whether it finished or waits for an interrupt. Services
/// reach the machine only through guest memory and the port bus; this class is the only one that
/// knows the CPU, to hand a service the caller's registers.
/// </summary>
internal sealed class FirmwareTrapPort : IPortDevice
{
    private readonly BiosCall _call;
    private readonly PostService _post;
    private readonly VideoService _video;
    private readonly EquipmentService _equipment;
    private readonly DiskSystem _disks;
    private readonly DiskService _disk;
    private readonly SerialService _serial;
    private readonly SystemService _system;
    private readonly KeyboardService _keyboard;
    private readonly BootService _boot;
    private readonly TimeService _time;
    private byte _status;

    public FirmwareTrapPort(X86Cpu cpu, GuestMemory memory, IoPortBus ports, FirmwareOptions options)
    {
        Context = new FirmwareContext(memory, ports, options);
        _call = new BiosCall(cpu.Registers, memory);
        _disks = new DiskSystem(Context);
        _disk = new DiskService(Context, _disks);
        _post = new PostService(Context, _disks);
        _video = new VideoService(Context);
        _equipment = new EquipmentService(Context);
        _serial = new SerialService(Context);
        _system = new SystemService(Context);
        _keyboard = new KeyboardService(Context);
        _boot = new BootService(Context, _disks);
        _time = new TimeService(Context);
    }

    public FirmwareContext Context { get; }

    /// <summary>How many service calls ran (diagnostics).</summary>
    public long Calls { get; private set; }

    public void RegisterPorts(IoPortBus bus) => bus.Register(this, FirmwareTrap.Port, 1);

    public uint Read(ushort port, PortWidth width) => _status;

    public void Write(ushort port, PortWidth width, uint value)
    {
        Calls++;
        var result = (BiosService)(byte)value switch
        {
            BiosService.Post => Post(),
            BiosService.Video => _video.Handle(_call),
            BiosService.Equipment => _equipment.Equipment(_call),
            BiosService.MemorySize => _equipment.MemorySize(_call),
            BiosService.Disk => _disk.Handle(_call),
            BiosService.Serial => _serial.Handle(_call),
            BiosService.System => _system.Handle(_call),
            BiosService.Keyboard => _keyboard.Handle(_call),
            BiosService.KeyboardIrq => _keyboard.Interrupt(_call),
            BiosService.Printer => Printer(),
            BiosService.NoBootDevice => _boot.NoBootDevice(_call),
            BiosService.Bootstrap => _boot.Handle(_call),
            BiosService.Time => _time.Handle(_call),
            _ => BiosServiceResult.Done,
        };
        _status = result switch
        {
            BiosServiceResult.Done => FirmwareTrap.Done,
            BiosServiceResult.Poll => FirmwareTrap.Poll,
            _ => FirmwareTrap.Wait,
        };
    }

    /// <summary>POST starts afresh after a reset: any service left waiting under the old run is dropped.</summary>
    private BiosServiceResult Post()
    {
        if (!_post.Running)
        {
            _disk.Abandon();
            _boot.Abandon();
        }

        return _post.Handle();
    }

    /// <summary>INT 17h: no parallel port is fitted; report a time-out.</summary>
    private BiosServiceResult Printer()
    {
        _call.AH = 0x01;
        return BiosServiceResult.Done;
    }
}
