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

        tally.Record(T0, foundPerson: true);
        tally.Record(T0.AddSeconds(1), foundPerson: false); // the room emptied: the last sighting stays
        tally.Record(T0.AddSeconds(2), foundPerson: false);

        Assert.Equal((3L, (DateTimeOffset?)T0), (tally.Processed, tally.LastDetectionAt));
    }

    [Fact]
    public void FramesFinishedOutOfOrder_TheLatestCaptureTimeWins()
    {
        var tally = new DetectionTally();

        tally.Record(T0.AddSeconds(5), foundPerson: true);
        tally.Record(T0.AddSeconds(4), foundPerson: true); // another worker finished an older frame later

        Assert.Equal(T0.AddSeconds(5), tally.LastDetectionAt);
    }

    [Fact]
    public void ManyWorkersAtOnce_LoseNoCountAndKeepTheLatestTime()
    {
        var tally = new DetectionTally();

        Parallel.For(0, 4, w =>
        {
            for (int i = 0; i < 10_000; i++) tally.Record(T0.AddMilliseconds(i * 4 + w), foundPerson: i % 3 == 0);
        });

        Assert.Equal(40_000, tally.Processed);
        Assert.Equal(T0.AddMilliseconds(9_999 * 4 + 3), tally.LastDetectionAt);
    }
}
