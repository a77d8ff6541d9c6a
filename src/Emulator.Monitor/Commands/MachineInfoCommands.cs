using System.Text.Json.Nodes;
using Emulator.Monitor.Qmp;

namespace Emulator.Monitor.Commands;

/// <summary>
/// query-machines and qom-list-types with QEMU 7.2's member sets (clients parse them strictly).
/// Both list what this emulator really builds: the i440FX PC (alias pc, one CPU) and the QOM types
/// of its chips and storage devices, with QEMU's type names and parents.
/// </summary>
internal static class MachineInfoCommands
{
    public const string MachineType = "pc-i440fx-7.2";

    /// <summary>
    /// (name, parent, abstract) in QEMU's type hierarchy, parents as QEMU 7.2 reports them (abstract
    /// intermediates included: qos-test builds its device graph from this list, by name).
    /// </summary>
    private static readonly (string Name, string? Parent, bool Abstract)[] Types =
    [
        ("object", null, true),
        ("device", "object", true),
        ("machine", "object", true),
        ("x86-machine", "machine", true),
        ("generic-pc-machine", "x86-machine", true),
        (MachineType + "-machine", "generic-pc-machine", false),
        ("sys-bus-device", "device", true),
        ("pci-device", "device", true),
        ("isa-device", "device", true),
        ("cpu", "device", true),
        ("x86_64-cpu", "cpu", true),
        ("pentium-x86_64-cpu", "x86_64-cpu", false),
        ("pci-host-bridge", "sys-bus-device", true),
        ("i440FX-pcihost", "pci-host-bridge", false),
        ("i440FX", "pci-device", false),
        ("pci-piix3", "pci-device", true),
        ("PIIX3", "pci-piix3", false),
        ("pic-common", "isa-device", true),
        ("isa-i8259", "pic-common", false),
        ("pit-common", "isa-device", true),
        ("isa-pit", "pit-common", false),
        ("mc146818rtc", "isa-device", false),
        ("isa-serial", "isa-device", false),
        ("i8042", "isa-device", false),
        ("i8257", "isa-device", false),
        ("port92", "isa-device", false),
        ("isa-debugcon", "isa-device", false),
        ("isa-debug-exit", "isa-device", false),
        ("ioapic-common", "sys-bus-device", true),
        ("ioapic", "ioapic-common", false),
        ("fw_cfg", "sys-bus-device", true),
        ("fw_cfg_io", "fw_cfg", false),

        // The storage models: PIIX3 IDE and its drives, the ISA floppy controller and its drive, virtio-blk over PCI.
        ("pci-ide", "pci-device", true),
        ("piix3-ide", "pci-ide", false),
        ("ide-device", "device", true),
        ("ide-hd", "ide-device", false),
        ("ide-cd", "ide-device", false),
        ("isa-fdc", "isa-device", false),
        ("floppy", "device", false),
        ("virtio-pci", "pci-device", true),
        ("virtio-blk-pci-base", "virtio-pci", true),
        ("virtio-blk-pci", "virtio-blk-pci-base", false),
    ];

    public static void Register(QmpCommandTable table)
    {
        table.Add(new QmpCommand("query-machines", [], _ => new JsonArray(new JsonObject
        {
            ["name"] = MachineType,
            ["alias"] = "pc",
            ["is-default"] = true,
            ["cpu-max"] = 1,
            ["hotpluggable-cpus"] = false,
            ["numa-mem-supported"] = false,
            ["deprecated"] = false,
            ["default-cpu-type"] = "pentium-x86_64-cpu",
            ["default-ram-id"] = "pc.ram",
        },
        new JsonObject
        {
            // QEMU's empty board (-machine none), as 7.2 lists it.
            ["name"] = "none",
            ["cpu-max"] = 1,
            ["hotpluggable-cpus"] = false,
            ["numa-mem-supported"] = false,
            ["deprecated"] = false,
            ["default-ram-id"] = "ram",
        })));
        table.Add(new QmpCommand(
            "qom-list-types",
            [new QmpParameter("implements", QmpType.String, Optional: true), new QmpParameter("abstract", QmpType.Boolean, Optional: true)],
            a =>
            {
                var implements = a.OptionalString("implements");
                var includeAbstract = a.Boolean("abstract", false);
                return new JsonArray([.. Types
                    .Where(t => (includeAbstract || !t.Abstract) && (implements is null || Implements(t.Name, implements)))
                    .Select(t => (JsonNode)Entry(t))]);
            }));
    }

    private static bool Implements(string type, string ancestor)
    {
        for (string? current = type; current is not null; current = Array.Find(Types, t => t.Name == current).Parent)
        {
            if (current == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    private static JsonObject Entry((string Name, string? Parent, bool Abstract) type)
    {
        var entry = new JsonObject { ["name"] = type.Name };
        if (type.Abstract)
        {
            entry["abstract"] = true;
        }

        if (type.Parent is { } parent)
        {
            entry["parent"] = parent;
        }

        return entry;
    }
}
