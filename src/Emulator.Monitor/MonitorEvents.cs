using System.Text.Json.Nodes;

namespace Emulator.Monitor;

/// <summary>
/// The event bus of the monitor: the machine and the block layer publish QMP events here, and
/// every negotiated QMP session receives them with a timestamp. Thread-safe.
/// </summary>
public sealed class MonitorEvents
{
    private readonly Lock _lock = new();
    private readonly List<Action<JsonObject>> _listeners = [];

    /// <summary>Adds a listener called with each event object (<c>event</c>, <c>data</c>, <c>timestamp</c>) on the publishing thread; it must not block or throw.</summary>
    public void Subscribe(Action<JsonObject> listener)
    {
        lock (_lock)
        {
            _listeners.Add(listener);
        }
    }

    /// <summary>Removes a listener added with <see cref="Subscribe"/>; no effect when it is not subscribed.</summary>
    public void Unsubscribe(Action<JsonObject> listener)
    {
        lock (_lock)
        {
            _listeners.Remove(listener);
        }
    }

    /// <summary>Publishes <paramref name="name"/> with <paramref name="data"/> (omitted when null), stamped now.</summary>
    public void Publish(string name, JsonObject? data = null)
    {
        var now = DateTimeOffset.UtcNow;
        var microseconds = now.ToUnixTimeMilliseconds() % 1000 * 1000 + (now.Ticks % TimeSpan.TicksPerMillisecond / 10);
        var message = new JsonObject
        {
            ["timestamp"] = new JsonObject { ["seconds"] = now.ToUnixTimeSeconds(), ["microseconds"] = microseconds },
            ["event"] = name,
        };
        if (data is not null)
        {
            message["data"] = data;
        }

        Action<JsonObject>[] listeners;
        lock (_lock)
        {
            listeners = [.. _listeners];
        }

        foreach (var listener in listeners)
        {
            listener((JsonObject)message.DeepClone());
        }
    }
}
