using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Emulator.Block.Tracing.Export;

/// <summary>
/// The I/O trace as <see cref="System.Diagnostics.Metrics"/> instruments on the meter
/// <see cref="MeterName"/>, for <c>dotnet-counters monitor --counters Emulator.Storage.BlockIO</c>:
/// requests and bytes (shown as rates: IOPS and bytes/s), requests in flight, and a latency histogram,
/// each tagged with the device queue (and operation). Observing the in-flight gauge starts a tracing
/// session when none runs, so a monitor attached to a running emulator sees live values.
/// </summary>
internal static class IoTraceMetrics
{
    public const string MeterName = "Emulator.Storage.BlockIO";

    private static readonly Meter Meter = new(MeterName);
    private static readonly ConcurrentDictionary<string, long> InFlightByDevice = new(StringComparer.Ordinal);

    private static readonly Counter<long> Requests = Meter.CreateCounter<long>("emulator.block.requests", "{request}", "Guest requests completed");
    private static readonly Counter<long> Bytes = Meter.CreateCounter<long>("emulator.block.bytes", "By", "Bytes moved by completed guest requests");
    private static readonly Histogram<double> Latency = Meter.CreateHistogram<double>("emulator.block.latency", "us", "Request latency from the guest's doorbell to delivery (wall)");

    static IoTraceMetrics()
    {
        Meter.CreateObservableUpDownCounter("emulator.block.in_flight", ObserveInFlight, "{request}", "Guest requests in flight");
    }

    /// <summary>Runs the static constructor: the meter and its instruments exist from here on.</summary>
    internal static void Register()
    {
    }

    /// <summary>True when some listener records one of the push instruments.</summary>
    internal static bool Enabled => Requests.Enabled || Bytes.Enabled || Latency.Enabled;

    internal static void Submitted(string device) => InFlightByDevice.AddOrUpdate(device, 1, static (_, n) => n + 1);

    internal static void Left(string device) => InFlightByDevice.AddOrUpdate(device, 0, static (_, n) => Math.Max(0, n - 1));

    internal static void Completed(string device, string op, long length, double latencyMicros)
    {
        var deviceTag = new KeyValuePair<string, object?>("device", device);
        var opTag = new KeyValuePair<string, object?>("op", op);
        Requests.Add(1, deviceTag, opTag);
        Bytes.Add(length, deviceTag, opTag);
        Latency.Record(latencyMicros, deviceTag, opTag);
    }

    private static IEnumerable<Measurement<long>> ObserveInFlight()
    {
        IoTraceObservers.EnsureRunning();
        foreach (var (device, count) in InFlightByDevice)
        {
            yield return new Measurement<long>(count, new KeyValuePair<string, object?>("device", device));
        }
    }
}
