namespace Emulator.Cli.Profile;

/// <summary>A stretch of a request between two stages of its span (names as the trace file writes them).</summary>
internal sealed record ProfilePhase(string Name, string From, string To)
{
    public static IReadOnlyList<ProfilePhase> All { get; } =
    [
        new("guest doorbell → backend submit", "doorbell", "submitted"),
        new("submit → driver start", "submitted", "driver_start"),
        new("host I/O (driver)", "driver_start", "driver_end"),
        new("driver end → queued", "driver_end", "queued"),
        new("queued → delivered (fixed point)", "queued", "delivered"),
        new("delivered → interrupt", "delivered", "interrupt"),
        new("interrupt → guest ack", "interrupt", "acknowledged"),
        new("service (submit → delivered)", "submitted", "delivered"),
        new("guest view (doorbell → ack)", "doorbell", "acknowledged"),
    ];
}
