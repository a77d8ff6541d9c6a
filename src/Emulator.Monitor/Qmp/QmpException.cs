namespace Emulator.Monitor.Qmp;

/// <summary>A command refused: becomes <c>{"error": {"class": …, "desc": …}}</c>. The message is the desc, worded as QEMU words it.</summary>
public sealed class QmpException : Exception
{
    /// <summary>A refusal with the reply's <c>desc</c> (<paramref name="desc"/>) and <c>class</c>.</summary>
    public QmpException(string desc, QmpErrorClass errorClass = QmpErrorClass.GenericError)
        : base(desc)
    {
        ErrorClass = errorClass;
    }

    /// <summary>The error reply's <c>class</c>.</summary>
    public QmpErrorClass ErrorClass { get; }
}
