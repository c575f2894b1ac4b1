using Microsoft.Extensions.Time.Testing;
using WorkerPool.Capture;

namespace WorkerPool.Tests.Capture;

public sealed class MediaTimelineTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void FirstSession_IsTheSourcesOwnTime()
    {
        var timeline = new MediaTimeline(_time);
        timeline.BeginSession(0.04, realtime: true);
        Assert.Equal([0.0, 0.04, 0.08], new[] { 0.0, 0.04, 0.08 }.Select(timeline.Stamp));
    }

    [Fact]
    public void LiveSessionAfterABreak_ContinuesAfterTheLastFrameByTheWallClockGap()
    {
        var timeline = new MediaTimeline(_time);
        timeline.BeginSession(0.2, realtime: true);
        timeline.Stamp(95.0);
        _time.Advance(TimeSpan.FromSeconds(12)); // reconnect backoff
        timeline.BeginSession(0.2, realtime: true);

        // The new source says 0, then 0.2: the timeline says 12 s after the last frame, so a lost track from before
        // the break has aged by those 12 s and the gate's next-due time lies behind.
        Assert.Equal(107.0, timeline.Stamp(0), 3);
        Assert.Equal(107.2, timeline.Stamp(0.2), 3);
    }

    [Fact]
    public void ReplaySession_ContinuesOneFrameAfterTheLast()
    {
        var timeline = new MediaTimeline(_time);
        timeline.Stamp(31.6);
        _time.Advance(TimeSpan.FromSeconds(5));
        timeline.BeginSession(0.04, realtime: false);
        Assert.Equal(31.64, timeline.Stamp(0), 6);
    }

    [Fact]
    public void SourceClockSteppingBack_NeverMovesTheTimelineBack()
    {
        var timeline = new MediaTimeline(_time);
        timeline.Stamp(10);
        Assert.Equal(10, timeline.Stamp(9.5));
        Assert.Equal(10.5, timeline.Stamp(10.5));
    }
}
