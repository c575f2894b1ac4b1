using Microsoft.Extensions.Time.Testing;
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
        var section = new ClockHeartbeatSection(clock, TimeProvider.System);
        var before = new HeartbeatDraft(DateTimeOffset.UnixEpoch);
        section.WriteTo(before);

        clock.Synchronized = true;
        var after = new HeartbeatDraft(DateTimeOffset.UnixEpoch);
        section.WriteTo(after);

        Assert.Equal((false, true), (before.Clock!.Synchronized, after.Clock!.Synchronized));
    }

    [Fact]
    public void WriteTo_NamesTheDevicesTimeZoneByItsIanaId()
    {
        var time = new FakeTimeProvider();
        // A zone made here, so the test needs no tzdata: what counts is that its id is passed on as it is.
        time.SetLocalTimeZone(TimeZoneInfo.CreateCustomTimeZone("Europe/Berlin", TimeSpan.FromHours(1), "Berlin", "CET"));
        var draft = new HeartbeatDraft(DateTimeOffset.UnixEpoch);

        new ClockHeartbeatSection(new FixedHostClock(), time).WriteTo(draft);

        Assert.Equal("Europe/Berlin", draft.TimeZone);
    }
}
