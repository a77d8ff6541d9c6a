namespace Emulator.Monitor.Qmp;

/// <summary>A command refused: becomes <c>{"error": {"class": …, "desc": …}}</c>. The message is the desc, worded as QEMU words it.</summary>
public sealed class QmpException : Exception
{
    public QmpException(string desc, QmpErrorClass errorClass = QmpErrorClass.GenericError)
        : base(desc)
    {
        ErrorClass = errorClass;
    }

    public QmpErrorClass ErrorClass { get; }
}
