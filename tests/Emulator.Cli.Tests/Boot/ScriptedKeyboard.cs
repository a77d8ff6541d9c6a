namespace Emulator.Cli.Tests.Boot;

/// <summary>
/// Standard input for <c>emu boot</c> that types each step's keys once the screen log shows the step's
/// prompt, as a person at the keyboard would (ANSI escapes for arrows). Ends the input after the last step.
/// </summary>
internal sealed class ScriptedKeyboard(ScreenLog log, TimeSpan stepTimeout, params (string WaitFor, string Keys)[] steps) : TextReader
{
    /// <summary>Runs before the keys of the step with that index are typed (e.g. a monitor command).</summary>
    public Dictionary<int, Action> BeforeStep { get; } = [];

    private int _step;
    private int _seen;
    private string _pending = string.Empty;

    public override int Read(char[] buffer, int index, int count)
    {
        while (_pending.Length == 0)
        {
            if (_step == steps.Length)
            {
                return 0;
            }

            var (waitFor, keys) = steps[_step++];
            var at = log.WaitFor(waitFor, _seen, stepTimeout);
            if (at < 0)
            {
                return 0;
            }

            _seen = at;
            if (BeforeStep.TryGetValue(_step - 1, out var action))
            {
                action();
            }

            _pending = keys;
        }

        var n = Math.Min(count, _pending.Length);
        _pending.CopyTo(0, buffer, index, n);
        _pending = _pending[n..];
        return n;
    }

    public override int Read() => throw new NotSupportedException("emu boot reads blocks of input");
}
