using Emulator.Machine.Timers;

namespace Emulator.Machine.Tests.Timers;

public class VirtualClockTests
{
    [Test]
    public void AdvanceTo_TimersArmedOutOfOrder_FireInDeadlineOrder()
    {
        var clock = new VirtualClock();
        var fired = new List<string>();
        var late = clock.CreateTimer(() => fired.Add("late"));
        var early = clock.CreateTimer(() => fired.Add("early"));
        late.Arm(300);
        early.Arm(100);

        clock.AdvanceTo(1000);

        Assert.That(fired, Is.EqualTo(new[] { "early", "late" }));
    }

    [Test]
    public void AdvanceTo_EqualDeadlines_FireInArmOrder()
    {
        var clock = new VirtualClock();
        var fired = new List<string>();
        var a = clock.CreateTimer(() => fired.Add("a"));
        var b = clock.CreateTimer(() => fired.Add("b"));
        b.Arm(50);
        a.Arm(50);

        clock.AdvanceTo(50);

        Assert.That(fired, Is.EqualTo(new[] { "b", "a" }));
    }

    [Test]
    public void Callback_SeesNowEqualToItsDeadline()
    {
        var clock = new VirtualClock();
        long seen = -1;
        var timer = clock.CreateTimer(() => seen = clock.Now);
        timer.Arm(123);

        clock.Advance(1000);

        Assert.That(seen, Is.EqualTo(123));
    }

    [Test]
    public void Callback_RearmingPeriodically_FiresEveryPeriodWithinOneAdvance()
    {
        var clock = new VirtualClock();
        var times = new List<long>();
        VirtualTimer? timer = null;
        timer = clock.CreateTimer(() =>
        {
            times.Add(clock.Now);
            timer!.Arm(clock.Now + 10);
        });
        timer.Arm(10);

        clock.AdvanceTo(45);

        Assert.That(times, Is.EqualTo(new long[] { 10, 20, 30, 40 }));
    }

    [Test]
    public void Cancel_ArmedTimer_DoesNotFire()
    {
        var clock = new VirtualClock();
        var fired = false;
        var timer = clock.CreateTimer(() => fired = true);
        timer.Arm(10);

        timer.Cancel();
        clock.AdvanceTo(100);

        Assert.That(fired, Is.False);
    }

    [Test]
    public void Arm_AlreadyArmed_MovesDeadline()
    {
        var clock = new VirtualClock();
        var timer = clock.CreateTimer(() => { });
        timer.Arm(10);

        timer.Arm(70);

        Assert.That(clock.NextDeadline, Is.EqualTo(70));
    }

    [Test]
    public void NextDeadline_NoTimerArmed_IsNull()
    {
        var clock = new VirtualClock();
        clock.CreateTimer(() => { });

        Assert.That(clock.NextDeadline, Is.Null);
    }

    [Test]
    public void AdvanceTo_Backwards_Throws()
    {
        var clock = new VirtualClock();
        clock.AdvanceTo(100);

        Assert.That(() => clock.AdvanceTo(50), Throws.TypeOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void Advance_SameScheduleInSmallOrLargeSteps_ProducesSameFiringSequence()
    {
        static List<(string, long)> Run(long step)
        {
            var clock = new VirtualClock();
            var log = new List<(string, long)>();
            VirtualTimer? fast = null;
            VirtualTimer? slow = null;
            fast = clock.CreateTimer(() => { log.Add(("fast", clock.Now)); fast!.Arm(clock.Now + 7); });
            slow = clock.CreateTimer(() => { log.Add(("slow", clock.Now)); slow!.Arm(clock.Now + 21); });
            fast.Arm(7);
            slow.Arm(21);
            while (clock.Now < 200)
            {
                clock.Advance(step);
            }

            return log;
        }

        Assert.That(Run(1), Is.EqualTo(Run(200)));
    }

    [Test]
    public void AdvanceTo_FromInsideTimerCallback_Throws()
    {
        var clock = new VirtualClock();
        var timer = clock.CreateTimer(() => clock.Advance(1));
        timer.Arm(10);

        Assert.That(() => clock.AdvanceTo(20), Throws.InvalidOperationException);
    }
}
