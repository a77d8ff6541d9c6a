namespace Emulator.Block.Backend;

/// <summary>An event the block layer emits for the monitor to publish (QMP event name and data fields).</summary>
public abstract record BlockEvent(string Name);

/// <summary><c>DEVICE_TRAY_MOVED</c>: one per real tray move.</summary>
/// <param name="Device">Backend name, or "" for an anonymous backend.</param>
/// <param name="Id">The attached device's id (qdev id or QOM path).</param>
/// <param name="TrayOpen">The new tray state.</param>
public sealed record DeviceTrayMovedEvent(string Device, string Id, bool TrayOpen) : BlockEvent("DEVICE_TRAY_MOVED");

/// <summary><c>BLOCK_IO_ERROR</c>: emitted for every error action, including ignore.</summary>
/// <param name="QomPath">The attached device's QOM path.</param>
/// <param name="Device">Backend name, or "".</param>
/// <param name="NodeName">The root node's name, when there is one.</param>
/// <param name="Operation">"read" or "write".</param>
/// <param name="Action">"ignore", "report" or "stop".</param>
/// <param name="NoSpace">Present only when iostatus is enabled: true for ENOSPC.</param>
/// <param name="Reason">The host error text.</param>
public sealed record BlockIoErrorEvent(
    string QomPath,
    string Device,
    string? NodeName,
    string Operation,
    string Action,
    bool? NoSpace,
    string Reason) : BlockEvent("BLOCK_IO_ERROR");
