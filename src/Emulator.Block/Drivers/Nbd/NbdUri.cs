using System.Globalization;
using Emulator.Block.Backend;
using Emulator.Block.Nbd;

namespace Emulator.Block.Drivers.Nbd;

/// <summary>
/// QEMU's NBD filenames: <c>nbd://host[:port][/export]</c>, <c>nbd+tcp://…</c>,
/// <c>nbd+unix:///export?socket=PATH</c>, and the legacy <c>nbd:host:port[:exportname=NAME]</c> and
/// <c>nbd:unix:PATH[:exportname=NAME]</c>. <c>nbds</c> (TLS) is refused.
/// </summary>
internal static class NbdUri
{
    public static bool IsNbd(string filename) => filename.StartsWith("nbd:", StringComparison.Ordinal)
        || filename.StartsWith("nbd+", StringComparison.Ordinal)
        || filename.StartsWith("nbds", StringComparison.Ordinal);

    /// <summary>Parses an NBD filename into node options; throws <see cref="BlockOperationException"/> for a malformed one.</summary>
    public static NbdNodeOptions Parse(string filename, bool readOnly)
    {
        if (filename.StartsWith("nbds", StringComparison.Ordinal))
        {
            throw new BlockOperationException("NBD over TLS (nbds://) is not supported: tls-creds cannot be used with this NBD client");
        }

        return filename.Contains("://", StringComparison.Ordinal) ? ParseUri(filename, readOnly) : ParseLegacy(filename, readOnly);
    }

    private static NbdNodeOptions ParseUri(string filename, bool readOnly)
    {
        var scheme = filename[..filename.IndexOf("://", StringComparison.Ordinal)];
        var rest = filename[(scheme.Length + 3)..];
        var query = string.Empty;
        var q = rest.IndexOf('?');
        if (q >= 0)
        {
            query = rest[(q + 1)..];
            rest = rest[..q];
        }

        var slash = rest.IndexOf('/');
        var authority = slash >= 0 ? rest[..slash] : rest;
        var export = slash >= 0 ? Uri.UnescapeDataString(rest[(slash + 1)..]) : string.Empty;
        var parameters = ParseQuery(query, filename);
        NbdServerAddress server;
        switch (scheme)
        {
            case "nbd" or "nbd+tcp":
                if (parameters.Count > 0)
                {
                    throw new BlockOperationException($"NBD URI '{filename}': unexpected query parameters");
                }

                server = Authority(authority, filename);
                break;
            case "nbd+unix":
                if (authority.Length > 0)
                {
                    throw new BlockOperationException($"NBD URI '{filename}': nbd+unix takes no host (use nbd+unix:///export?socket=PATH)");
                }

                if (!parameters.TryGetValue("socket", out var socket) || parameters.Count != 1)
                {
                    throw new BlockOperationException($"NBD URI '{filename}': nbd+unix needs exactly one query parameter, socket=PATH");
                }

                server = NbdServerAddress.Unix(socket);
                break;
            default:
                throw new BlockOperationException($"Unknown NBD URI scheme '{scheme}' (nbd, nbd+tcp or nbd+unix)");
        }

        return new NbdNodeOptions(server) { Export = export, ReadOnly = readOnly };
    }

    private static NbdServerAddress Authority(string authority, string filename)
    {
        if (authority.Length == 0)
        {
            throw new BlockOperationException($"NBD URI '{filename}' names no server");
        }

        string host;
        string? port = null;
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            host = close > 0 ? authority[1..close] : throw new BlockOperationException($"NBD URI '{filename}': unterminated IPv6 address");
            if (close + 1 < authority.Length)
            {
                port = authority[(close + 1)..].TrimStart(':');
            }
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            host = colon >= 0 ? authority[..colon] : authority;
            port = colon >= 0 ? authority[(colon + 1)..] : null;
        }

        return NbdServerAddress.Inet(host, port is null ? NbdLimits.DefaultPort : Port(port, filename));
    }

    private static NbdNodeOptions ParseLegacy(string filename, bool readOnly)
    {
        // nbd:unix:PATH[:exportname=NAME] or nbd:HOST:PORT[:exportname=NAME]
        var body = filename["nbd:".Length..];
        var export = string.Empty;
        var marker = body.IndexOf(":exportname=", StringComparison.Ordinal);
        if (marker >= 0)
        {
            export = body[(marker + ":exportname=".Length)..];
            body = body[..marker];
        }

        NbdServerAddress server;
        if (body.StartsWith("unix:", StringComparison.Ordinal))
        {
            server = NbdServerAddress.Unix(body["unix:".Length..]);
        }
        else
        {
            var colon = body.LastIndexOf(':');
            server = colon > 0
                ? NbdServerAddress.Inet(body[..colon], Port(body[(colon + 1)..], filename))
                : throw new BlockOperationException($"NBD filename '{filename}' must be nbd:HOST:PORT or nbd:unix:PATH");
        }

        return new NbdNodeOptions(server) { Export = export, ReadOnly = readOnly };
    }

    private static Dictionary<string, string> ParseQuery(string query, string filename)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = item.IndexOf('=');
            if (eq <= 0 || !result.TryAdd(item[..eq], Uri.UnescapeDataString(item[(eq + 1)..])))
            {
                throw new BlockOperationException($"NBD URI '{filename}': malformed query '{item}'");
            }
        }

        return result;
    }

    private static int Port(string text, string filename) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is >= 1 and <= 65535
            ? port
            : throw new BlockOperationException($"NBD filename '{filename}': invalid port '{text}'");
}
