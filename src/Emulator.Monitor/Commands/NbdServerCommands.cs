using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Emulator.Block.Backend;
using Emulator.Block.Graph;
using Emulator.Block.Nbd;
using Emulator.Block.Nbd.Server;
using Emulator.Monitor.Qmp;

namespace Emulator.Monitor.Commands;

/// <summary>
/// QEMU's built-in NBD server: nbd-server-start (SocketAddressLegacy), nbd-server-add, nbd-server-remove,
/// nbd-server-stop, block-export-add/-del (type nbd) and query-block-exports, with QEMU 7.2's
/// messages (blockdev-nbd.c, block/export/export.c). An export holds a reference on its node, so a
/// running guest's disk can be served while the guest uses it; the server never closes the node.
/// </summary>
internal static class NbdServerCommands
{
    /// <summary>QEMU's NBD_DEFAULT_MAX_CONNECTIONS for the built-in server (0 = unlimited).</summary>
    private const int DefaultMaxConnections = 100;

    public static void Register(QmpCommandTable table, BlockLayer layer)
    {
        var state = new State(layer);
        table.Add(new QmpCommand(
            "nbd-server-start",
            [new QmpParameter("addr", QmpType.Object), new QmpParameter("tls-creds", QmpType.String, true), new QmpParameter("tls-authz", QmpType.String, true), new QmpParameter("max-connections", QmpType.Integer, true)],
            a => state.Start(a)));
        table.Add(new QmpCommand(
            "nbd-server-add",
            [new QmpParameter("device", QmpType.String), new QmpParameter("name", QmpType.String, true), new QmpParameter("description", QmpType.String, true), new QmpParameter("writable", QmpType.Boolean, true), new QmpParameter("bitmap", QmpType.String, true)],
            a =>
            {
                var device = a.String("device");
                var node = state.Lookup(device);
                // nbd-server-add quietly downgrades a read-only node to a read-only export (QEMU does too).
                return state.Add(a.OptionalString("name") ?? device, node, a.Boolean("writable", false) && !node.ReadOnly, a.OptionalString("description"));
            }));
        table.Add(new QmpCommand(
            "block-export-add",
            [new QmpParameter("type", QmpType.String), new QmpParameter("id", QmpType.String), new QmpParameter("node-name", QmpType.String), new QmpParameter("writable", QmpType.Boolean, true), new QmpParameter("name", QmpType.String, true), new QmpParameter("description", QmpType.String, true), new QmpParameter("writethrough", QmpType.Boolean, true), new QmpParameter("fixed-iothread", QmpType.Boolean, true), new QmpParameter("iothread", QmpType.String, true)],
            a =>
            {
                if (a.String("type") != "nbd")
                {
                    throw new QmpException("No driver found for the requested export type");
                }

                var id = a.String("id");
                if (!BlockGraph.IsWellFormedId(id))
                {
                    throw new QmpException("Invalid block export id");
                }

                var node = state.Layer.Graph.Find(a.String("node-name")) ?? throw new QmpException($"Cannot find device= nor node-name={a.String("node-name")}");
                var writable = a.Boolean("writable", false);
                if (writable && node.ReadOnly)
                {
                    throw new QmpException("Cannot export read-only node as writable");
                }

                return state.Add(a.OptionalString("name") ?? node.NodeName, node, writable, a.OptionalString("description"), id);
            }));
        table.Add(new QmpCommand("nbd-server-remove", [new QmpParameter("name", QmpType.String), new QmpParameter("mode", QmpType.String, true)], a => state.Remove(a.String("name"), a.OptionalString("mode"))));
        table.Add(new QmpCommand("block-export-del", [new QmpParameter("id", QmpType.String), new QmpParameter("mode", QmpType.String, true)], a => state.Remove(a.String("id"), a.OptionalString("mode"))));
        table.Add(new QmpCommand("nbd-server-stop", [], _ => state.Stop()));
        table.Add(new QmpCommand("query-block-exports", [], _ => state.Query()));
    }

    private sealed class State(BlockLayer layer)
    {
        private readonly Dictionary<string, (NbdExport Export, string Id)> _exports = new(StringComparer.Ordinal);
        private NbdServer? _server;
        private long _maxConnections;

        public BlockLayer Layer { get; } = layer;

        public JsonNode? Start(QmpArguments a)
        {
            if (_server is not null)
            {
                throw new QmpException("NBD server already running");
            }

            if (a.OptionalString("tls-creds") is { } creds)
            {
                throw new QmpException($"No TLS credentials with id '{creds}'");
            }

            var max = a.OptionalInteger("max-connections") ?? DefaultMaxConnections;
            if (max is < 0 or > uint.MaxValue)
            {
                throw new QmpException("Parameter 'max-connections' expects uint32");
            }

            var endPoint = EndPointOf(a.Node("addr") as JsonObject ?? throw new QmpException("Invalid parameter type for 'addr', expected: object"));
            try
            {
                _server = new NbdServer(endPoint, new NbdServerOptions { MaxClients = (int)Math.Min(max, int.MaxValue), Persistent = true });
                _maxConnections = max;
            }
            catch (SocketException e)
            {
                throw new QmpException($"Failed to bind socket: {e.Message}");
            }

            return null;
        }

        public BlockDriverState Lookup(string device) =>
            (Layer.FindBackend(device)?.RootNodeName is { } root ? Layer.Graph.Find(root) : Layer.Graph.Find(device))
            ?? throw new QmpException($"Cannot find device={device} nor node-name={device}");

        public JsonNode? Add(string name, BlockDriverState node, bool writable, string? description, string? id = null)
        {
            var server = _server ?? throw new QmpException("NBD server not running");
            id ??= name;
            if (_exports.ContainsKey(id))
            {
                throw new QmpException($"Block export id '{id}' is already in use");
            }

            if (System.Text.Encoding.UTF8.GetByteCount(name) > NbdLimits.MaxString)
            {
                throw new QmpException($"export name '{name}' too long");
            }

            var export = new NbdExport(name, node, writable, description) { MultiConn = _maxConnections != 1 };
            try
            {
                server.AddExport(export);
            }
            catch (InvalidOperationException)
            {
                throw new QmpException($"NBD server already has export named '{name}'");
            }

            Layer.Graph.Ref(node);
            _exports.Add(id, (export, id));
            return null;
        }

        /// <summary>
        /// block-export-del / nbd-server-remove: mode "safe" (the default) refuses while a client is
        /// connected to the export, "hard" disconnects its clients first; the node is let go only once
        /// no session can touch it.
        /// </summary>
        public JsonNode? Remove(string id, string? mode)
        {
            var hard = mode switch
            {
                null or "safe" => false,
                "hard" => true,
                _ => throw new QmpException($"Parameter 'mode' does not accept value '{mode}'"),
            };
            if (!_exports.TryGetValue(id, out var entry))
            {
                throw new QmpException($"Export '{id}' is not found");
            }

            if (_server is { } server && !server.RemoveExport(entry.Export.Name, hard))
            {
                throw new QmpException($"export '{id}' still in use");
            }

            _exports.Remove(id);
            Layer.Graph.Unref(entry.Export.Node);
            return null;
        }

        public JsonNode? Stop()
        {
            var server = _server ?? throw new QmpException("NBD server not running");
            server.Dispose();
            _server = null;
            foreach (var (export, _) in _exports.Values)
            {
                Layer.Graph.Unref(export.Node);
            }

            _exports.Clear();
            return null;
        }

        public JsonNode Query()
        {
            var list = new JsonArray();
            foreach (var (export, id) in _exports.Values)
            {
                list.Add(new JsonObject { ["type"] = "nbd", ["id"] = id, ["node-name"] = export.Node.NodeName, ["shutting-down"] = false });
            }

            return list;
        }

        private static EndPoint EndPointOf(JsonObject addr)
        {
            var data = addr["data"] as JsonObject ?? throw new QmpException("Parameter 'addr.data' is missing");
            string Member(string name) => data[name]?.GetValue<string>() ?? throw new QmpException($"Parameter 'addr.data.{name}' is missing");
            switch (addr["type"]?.GetValue<string>())
            {
                case "unix":
                    var path = Member("path");
                    if (File.Exists(path))
                    {
                        File.Delete(path);
                    }

                    return new UnixDomainSocketEndPoint(path);
                case "inet":
                    var host = Member("host");
                    if (!int.TryParse(Member("port"), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
                    {
                        throw new QmpException($"Parameter 'port' does not accept value '{Member("port")}'");
                    }

                    var address = IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host).FirstOrDefault() ?? throw new QmpException($"address resolution failed for {host}");
                    return new IPEndPoint(address, port);
                case var other:
                    throw new QmpException($"Parameter 'addr.type' does not accept value '{other}'");
            }
        }
    }
}
