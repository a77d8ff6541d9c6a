using System.Text;

namespace Emulator.Hosting.QemuSystem;

/// <summary>
/// QEMU's option syntax: <c>[implied=]value,key=value,…</c> where a doubled comma is a literal comma.
/// A first item without '=' is the implied key's value (e.g. -machine pc, -qmp unix:PATH).
/// </summary>
internal static class KeyValueList
{
    public static List<KeyValuePair<string, string>> Parse(string text, string? impliedKey = null)
    {
        var items = new List<KeyValuePair<string, string>>();
        var parts = Split(text);
        for (var i = 0; i < parts.Count; i++)
        {
            var part = parts[i];
            var eq = part.IndexOf('=');
            if (eq < 0)
            {
                if (i == 0 && impliedKey is not null)
                {
                    items.Add(new(impliedKey, part));
                    continue;
                }

                // A bare flag means on, as in QEMU's 'server' or 'readonly'.
                items.Add(new(part, "on"));
                continue;
            }

            items.Add(new(part[..eq], part[(eq + 1)..]));
        }

        return items;
    }

    public static bool IsOn(string option, string key, string value) => value switch
    {
        "on" or "yes" or "true" => true,
        "off" or "no" or "false" => false,
        _ => throw new QemuOptionException($"{option}: Parameter '{key}' expects 'on' or 'off'"),
    };

    private static List<string> Split(string text)
    {
        var parts = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == ',')
            {
                if (i + 1 < text.Length && text[i + 1] == ',')
                {
                    current.Append(',');
                    i++;
                    continue;
                }

                parts.Add(current.ToString());
                current.Clear();
                continue;
            }

            current.Append(text[i]);
        }

        parts.Add(current.ToString());
        return parts;
    }
}
