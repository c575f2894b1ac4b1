using WorkerPool.Capture;

namespace WorkerPool.Tests.Capture;

public sealed class DetectionTallyTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void NothingProcessedYet_HasNoDetectionTime()
    {
        var tally = new DetectionTally();

        Assert.Equal((0L, (DateTimeOffset?)null), (tally.Processed, tally.LastDetectionAt));
    }

    [Fact]
    public void CountsEveryProcessedFrame_AndKeepsTheCaptureTimeOfTheLastOneWithAPerson()
    {
        var tally = new DetectionTally();

        tally.Record(T0, bestScore: 0.9f);
        tally.Record(T0.AddSeconds(1), bestScore: 0f); // the room emptied: the last sighting stays
        tally.Record(T0.AddSeconds(2), bestScore: 0f);

        Assert.Equal((3L, (DateTimeOffset?)T0), (tally.Processed, tally.LastDetectionAt));
    }

    [Fact]
    public void WeakBoxes_KeptForTheTracker_AreNoPersonFound()
    {
        var tally = new DetectionTally();

        tally.Record(T0, bestScore: 0.5f);
        tally.Record(T0.AddSeconds(1), bestScore: 0.49f); // the kind of box an empty room yields now and then

        Assert.Equal((2L, (DateTimeOffset?)T0), (tally.Processed, tally.LastDetectionAt));
    }

    [Fact]
    public void FramesFinishedOutOfOrder_TheLatestCaptureTimeWins()
    {
        var tally = new DetectionTally();

        tally.Record(T0.AddSeconds(5), bestScore: 0.9f);
        tally.Record(T0.AddSeconds(4), bestScore: 0.9f); // another worker finished an older frame later

        Assert.Equal(T0.AddSeconds(5), tally.LastDetectionAt);
    }

    [Fact]
    public void ManyWorkersAtOnce_LoseNoCountAndKeepTheLatestTime()
    {
        var tally = new DetectionTally();

        Parallel.For(0, 4, w =>
        {
            for (int i = 0; i < 10_000; i++) tally.Record(T0.AddMilliseconds(i * 4 + w), bestScore: i % 3 == 0 ? 0.7f : 0.2f);
        });

        Assert.Equal(40_000, tally.Processed);
        Assert.Equal(T0.AddMilliseconds(9_999 * 4 + 3), tally.LastDetectionAt);
    }
}
