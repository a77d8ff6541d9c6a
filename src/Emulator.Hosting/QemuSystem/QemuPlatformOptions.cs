using System.Globalization;

namespace Emulator.Hosting.QemuSystem;

/// <summary>
/// The machine-wide QEMU options that are not about drives or devices (-smp, -cpu, -vga, -display,
/// -audio, -k), checked as QEMU 7.2 checks them: what this emulator can honour is accepted, the rest is
/// refused with QEMU's words for the same refusal, or an honest equivalent where QEMU has none.
/// </summary>
internal static class QemuPlatformOptions
{
    /// <summary>The CPU model this emulator honours: QEMU's "max" is whatever the accelerator implements, which here is the one interpreter CPU.</summary>
    public const string MaxCpu = "max";

    /// <summary>The name QEMU 7.2 gives the pc machine in its messages (and query-machines).</summary>
    public const string PcMachineType = "pc-i440fx-7.2";

    /// <summary>CPUs the pc machine has here (QEMU's pc-i440fx-7.2 allows 255; this emulator has one CPU).</summary>
    public const int MaxCpus = 1;

    private static readonly string[] SmpKeys = ["cpus", "maxcpus", "sockets", "dies", "clusters", "cores", "threads"];

    /// <summary>QEMU 7.2's x86 CPU model names without their -vN, -IBRS, -noTSX … variants (qemu-system-x86_64 -cpu help).</summary>
    private static readonly string[] QemuCpuModels =
        ["486", "Broadwell", "Cascadelake-Server", "Conroe", "Cooperlake", "Denverton", "Dhyana", "EPYC", "Haswell", "Icelake-Server",
         "IvyBridge", "KnightsMill", "Nehalem", "Opteron_G1", "Opteron_G2", "Opteron_G3", "Opteron_G4", "Opteron_G5", "Penryn",
         "SandyBridge", "Skylake-Client", "Skylake-Server", "Snowridge", "Westmere", "athlon", "core2duo", "coreduo", "kvm32", "kvm64",
         "n270", "pentium", "pentium2", "pentium3", "phenom", "qemu32", "qemu64", "base"];

    /// <summary>QEMU's -vga types with the name its "not available" error gives each (softmmu/vl.c vga_interfaces).</summary>
    private static readonly Dictionary<string, string> VgaNames = new(StringComparer.Ordinal)
    {
        ["cirrus"] = "Cirrus VGA",
        ["vmware"] = "VMWare SVGA",
        ["xenfb"] = "Xen paravirtualized framebuffer",
        ["qxl"] = "QXL VGA",
        ["tcx"] = "TCX framebuffer",
        ["cg3"] = "CG3 framebuffer",
        ["virtio"] = "Virtio VGA",
        ["ati"] = "ATI Rage128",
    };

    /// <summary>
    /// -smp [cpus=]N[,maxcpus=,sockets=,dies=,clusters=,cores=,threads=]: the topology computed as QEMU's
    /// machine_parse_smp_config does for pc (cores preferred over sockets), then checked against the one CPU
    /// this machine has with QEMU's words for a machine's maximum (<paramref name="machine"/> names it).
    /// </summary>
    public static void CheckSmp(string value, string machine)
    {
        var given = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, text) in KeyValueList.Parse(value, "cpus"))
        {
            if (!SmpKeys.Contains(key))
            {
                throw new QemuOptionException($"Parameter 'smp.{key}' is unexpected");
            }

            given[key] = long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
                ? number
                : throw new QemuOptionException($"Parameter 'smp.{key}' expects integer");
        }

        // A zero is QEMU's deprecated spelling of "not given" (it warns and carries on).
        long Get(string key) => given.GetValueOrDefault(key);
        var cpus = Get("cpus");
        var maxCpus = Get("maxcpus");
        var sockets = Get("sockets");
        var dies = Math.Max(Get("dies"), 1);
        var clusters = Math.Max(Get("clusters"), 1);
        var cores = Get("cores");
        var threads = Get("threads");
        if (cpus == 0 && maxCpus == 0)
        {
            sockets = Math.Max(sockets, 1);
            cores = Math.Max(cores, 1);
            threads = Math.Max(threads, 1);
        }
        else
        {
            maxCpus = maxCpus > 0 ? maxCpus : cpus;
            sockets = Math.Max(sockets, 1);
            threads = Math.Max(threads, 1);
            cores = cores > 0 ? cores : maxCpus / (sockets * dies * clusters * threads);
        }

        var total = sockets * dies * clusters * cores * threads;
        maxCpus = maxCpus > 0 ? maxCpus : total;
        cpus = cpus > 0 ? cpus : maxCpus;
        var topology = $"sockets ({sockets}) * dies ({dies}) * cores ({cores}) * threads ({threads})";
        if (total != maxCpus)
        {
            throw new QemuOptionException($"Invalid CPU topology: product of the hierarchy must match maxcpus: {topology} != maxcpus ({maxCpus})");
        }

        if (maxCpus < cpus)
        {
            throw new QemuOptionException($"Invalid CPU topology: maxcpus must be equal to or greater than smp: {topology} == maxcpus ({maxCpus}) < smp_cpus ({cpus})");
        }

        if (maxCpus > MaxCpus)
        {
            throw new QemuOptionException($"Invalid SMP CPUs {maxCpus}. The max CPUs supported by machine '{machine}' is {MaxCpus}");
        }
    }

    /// <summary>
    /// -cpu MODEL[,features]: "max" is this emulator's CPU (CPUID: GenuineIntel family 6 model 3 with FPU, PSE,
    /// TSC, MSR, PAE, CX8, PGE, CMOV); a model QEMU knows is refused because its CPUID and instruction set would
    /// differ, "host" as QEMU refuses it without KVM, anything else as QEMU refuses a name it does not know.
    /// Feature switches are refused: the interpreter implements a fixed set. Returns true for -cpu help.
    /// </summary>
    public static bool CheckCpu(string value)
    {
        var items = KeyValueList.Parse(value, "model");
        var model = items[0].Value;
        if (model == "help")
        {
            return true;
        }

        if (model == "host")
        {
            throw new QemuOptionException($"CPU model '{model}' requires KVM or HVF");
        }

        if (model != MaxCpu)
        {
            throw new QemuOptionException(Array.Exists(QemuCpuModels, m => model == m || model.StartsWith(m + "-", StringComparison.Ordinal))
                ? $"-cpu {value}: CPU model '{model}' is not emulated; this machine's CPU is '{MaxCpu}' (GenuineIntel family 6 model 3: fpu pse tsc msr pae cx8 pge cmov)"
                : $"unable to find CPU model '{model}'");
        }

        if (items.Count > 1)
        {
            var feature = items[1].Key.TrimStart('+', '-');
            throw new QemuOptionException($"-cpu {value}: CPU features cannot be changed: the '{MaxCpu}' CPU implements a fixed set ('{feature}' given)");
        }

        return false;
    }

    /// <summary>-cpu help: the models this emulator can run, in QEMU's list format.</summary>
    public static void PrintCpuHelp(TextWriter output)
    {
        output.WriteLine("Available CPUs:");
        output.WriteLine($"x86 {MaxCpu,-25} Enables all features supported by the accelerator in the current host");
    }

    /// <summary>-vga TYPE: true for a VGA (std), false for none; QEMU's refusal of an unknown type or of one this build lacks.</summary>
    public static bool ParseVga(string value) => value switch
    {
        "std" => true,
        "none" => false,
        _ when VgaNames.TryGetValue(value, out var name) => throw new QemuOptionException($"{name} not available"),
        _ => throw new QemuOptionException($"unknown vga type: {value}"),
    };

    /// <summary>-display: only none (nothing is shown on the host); QEMU's refusals for VNC (not built) and for a display type it does not have.</summary>
    public static void CheckDisplay(string value)
    {
        // -display vnc=:N is the VNC form (its first item is a key); the others name a type.
        var type = KeyValueList.Parse(value, "type")[0].Value;
        if (value.StartsWith("vnc", StringComparison.Ordinal))
        {
            throw new QemuOptionException($"-display {value}: VNC support is disabled");
        }

        if (type != "none")
        {
            throw new QemuOptionException($"-display {value}: Parameter 'type' does not accept value '{type}'");
        }
    }

    /// <summary>
    /// -audio [driver=]DRIVER,model=MODEL: this machine has no sound card, so every model is unknown (QEMU's
    /// words, with an empty list of valid names). QEMU 7.2 requires model= (its -audio creates a sound card), so
    /// "-audio none", the form QEMU 8's libqtest passes, is refused as 7.2 refuses it.
    /// </summary>
    public static void CheckAudio(string value)
    {
        var items = KeyValueList.Parse(value, "driver");
        if (items.FirstOrDefault(kv => kv.Key == "model").Value is { } model)
        {
            throw new QemuOptionException($"-audio {value}: Unknown sound card name `{model}'{Environment.NewLine}Valid sound card names (comma separated):");
        }

        throw new QemuOptionException($"-audio {value}: Parameter 'model' is missing");
    }

    /// <summary>
    /// -k LAYOUT: QEMU applies a keymap only to a VNC (or curses) display, which this emulator does not have
    /// (-display vnc is refused), so the layout could never be used.
    /// </summary>
    public static QemuOptionException KeyboardLayoutRefusal(string value) =>
        new($"-k {value}: keyboard layouts apply to a VNC display, and VNC support is disabled");
}
