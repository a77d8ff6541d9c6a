namespace Emulator.Machine.Platform;

/// <summary>
/// The 16550A receive side: the 16-byte FIFO (one byte in 16450 mode) the guest reads through RBR,
/// fed from an unbounded host queue so host input waits instead of overrunning.
/// </summary>
internal sealed class UartReceiveFifo
{
    private readonly Queue<byte> _host = new();
    private readonly byte[] _fifo = new byte[Uart16550.FifoSize];
    private int _head;

    public int Count { get; private set; }

    /// <summary>16 with FIFOs enabled, 1 in 16450 mode.</summary>
    public int Capacity { get; set; } = 1;

    public bool IsFull => Count >= Capacity;

    public void EnqueueHost(byte value) => _host.Enqueue(value);

    /// <summary>Moves waiting host bytes into the FIFO while it has room; returns whether any moved.</summary>
    public bool Refill()
    {
        var moved = false;
        while (!IsFull && _host.Count > 0)
        {
            Push(_host.Dequeue());
            moved = true;
        }

        return moved;
    }

    public void Push(byte value)
    {
        _fifo[(_head + Count) % _fifo.Length] = value;
        Count++;
    }

    public byte Pop()
    {
        var value = _fifo[_head];
        _head = (_head + 1) % _fifo.Length;
        Count--;
        return value;
    }

    public void Clear()
    {
        _head = 0;
        Count = 0;
    }
}
