namespace Emulator.Block.Backend;

/// <summary>
/// A driver whose completions a waiting thread can produce itself (the role of an fd handler in QEMU's
/// AioContext): a thread that waits in <see cref="BlockCompletionQueue.WaitForPending"/> reads the
/// driver's socket and completes its requests, instead of sleeping until the driver's own thread does
/// it and wakes it (two thread hand-offs per burst of replies become none). The driver keeps a thread
/// of its own for when nobody waits (the machine loop has its own wait, a blocked synchronous caller
/// waits on a task). While a batch of completions runs (<see cref="Plug"/> … <see cref="Unplug"/>), the
/// requests their handlers submit may be held and sent together (QEMU's <c>blk_io_plug</c>).
/// </summary>
internal interface IBlockCompletionPoller
{
    /// <summary>
    /// Tries to become the thread that reads the driver's replies. On success, completes every reply that
    /// has already arrived (without blocking) and returns the descriptor to wait on for more, with the
    /// role kept until <see cref="EndPoll"/>; returns -1 when another thread holds the role or the
    /// driver has nothing in flight.
    /// </summary>
    int BeginPoll();

    /// <summary>
    /// Completes the replies that arrived since <see cref="BeginPoll"/> (without blocking) and gives the role
    /// back; <paramref name="readable"/> is poll's verdict on the descriptor (readable with nothing to read is
    /// the end of the stream).
    /// </summary>
    void EndPoll(bool readable);

    /// <summary>Requests this thread sends from now until <see cref="Unplug"/> may be held and sent together.</summary>
    void Plug();

    /// <summary>Sends whatever <see cref="Plug"/> held back.</summary>
    void Unplug();

    /// <summary>Sends what is held now, still plugged (the plugging thread is about to block on a request).</summary>
    void SendHeld();
}
