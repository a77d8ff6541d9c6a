namespace Emulator.Testing.Tests.Conformance;

/// <summary>
/// The shared table of qtest scenarios: each runs once over emu-system-x86_64's qtest socket and once through
/// <see cref="QtestHarness.Command"/>, and both transcripts must be the same line for line. The file image
/// placeholder <c>{disk}</c> and <c>{cd}</c> are replaced by files the test writes.
/// </summary>
internal static class QtestScenarios
{
    public static IEnumerable<QtestScenario> All() =>
    [
        new("port I/O of every width", [],
        [
            "outb 0x80 0x12", "inb 0x61", "outl 0xcf8 0x80000000", "inl 0xcfc", "inw 0xcfe", "inb 0xcfd",
            "outl 0xcf8 0x80000900", "inl 0xcfc", "outw 0x70 0x0f", "inb 0x71", "inl 0x9000", "inw 0x3f4",
            "outb 0x10000 0x1", "inb", "outl 0xcf8", "inq 0x60",
        ]),
        new("memory of every width", ["-m", "64"],
        [
            "writeb 0x1000 0x5a", "writew 0x1002 0xbeef", "writel 0x1004 0xdeadbeef", "writeq 0x1008 0x0123456789abcdef",
            "readb 0x1000", "readw 0x1002", "readl 0x1004", "readq 0x1008", "read 0x1000 0x10",
            "write 0x2000 0x4 0x01020304", "read 0x2000 0x4", "b64write 0x3000 0x3 AQID", "b64read 0x3000 0x3",
            "memset 0x4000 0x8 0xa5", "read 0x3ffe 0xc", "readl 0x3ffffff0", "readq 0x100000000", "writel 0x100000000 0x1",
            "read 0x1000 0x8000000", "write 0x1000 0x2 0xzz", "b64write 0x1000 0x2 !!", "writeb 0x1000", "endianness",
        ]),
        new("clock steps", [],
        [
            "clock_step 1000", "clock_step 999999000", "clock_set 5000000000", "clock_set 1000", "clock_step 0",
            "clock_step x", "clock_set",
        ]),
        new("IRQ intercept on the I/O APIC", ["-drive", "file={disk},if=ide,format=raw"],
        [
            "irq_intercept_in ioapic", "outb 0x1f6 0xa0", "outb 0x1f7 0xec", "clock_step 1000000", "inb 0x3f6",
            "inb 0x1f7", "irq_intercept_in /machine/ioapic", "irq_intercept_in i8259", "irq_intercept_out i8259",
        ]),
        new("IRQ intercept on the 8259A inputs", ["-drive", "file={disk},if=ide,format=raw"],
        [
            "irq_intercept_in i8259", "outb 0x1f6 0xa0", "outb 0x1f7 0xec", "inb 0x1f7", "irq_intercept_in ioapic",
            "irq_intercept_in nosuchdevice",
        ]),
        new("IRQ intercept on the 8259A output", ["-drive", "file={disk},if=ide,format=raw"],
        [
            "irq_intercept_out i8259", "outb 0x20 0x11", "outb 0x21 0x08", "outb 0x21 0x04", "outb 0x21 0x01", "outb 0x21 0x00",
            "outb 0xa0 0x11", "outb 0xa1 0x70", "outb 0xa1 0x02", "outb 0xa1 0x01", "outb 0xa1 0x00",
            "outb 0x1f6 0xa0", "outb 0x1f7 0xec", "inb 0x1f7", "irq_intercept_out ioapic",
        ]),
        new("bad lines", [], ["", "nosuchcommand 1 2", "irq_intercept_in", "readb zz", "clock_step -1"]),
    ];
}
