using WorkerPool.Diagnostics;
using WorkerPool.Messaging;
using WorkerPool.Tests.Outbox;

namespace WorkerPool.Tests.Messaging;

public sealed class ClockHeartbeatSectionTests
{
    [Fact]
    public void WriteTo_SaysWhetherTheHostClockIsSynchronisedNow()
    {
        var clock = new FixedHostClock(synchronized: false);
        var section = new ClockHeartbeatSection(clock);
        var before = new HeartbeatDraft(DateTimeOffset.UnixEpoch);
        section.WriteTo(before);

        clock.Synchronized = true;
        var after = new HeartbeatDraft(DateTimeOffset.UnixEpoch);
        section.WriteTo(after);

        Assert.Equal((false, true), (before.Clock!.Synchronized, after.Clock!.Synchronized));
    }
}
