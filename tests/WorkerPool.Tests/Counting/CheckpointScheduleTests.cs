using WorkerPool.Config;
using WorkerPool.Counting;
using WorkerPool.Inference;
using WorkerPool.Capture;

namespace WorkerPool.Tests.Counting;

/// <summary>When the open window is checkpointed: soon after its counts change, rarely for frame tallies, never when idle.</summary>
public sealed class CheckpointScheduleTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 0, TimeSpan.Zero);
    private readonly FramePool _frames = new("cam", 8);

    // A frame inference ran on, with nobody in it, as a worker hands it to the counter.
    private InferenceResult ProcessedFrameAt(DateTimeOffset captured)
    {
        var frame = _frames.Rent()!;
        frame.CaptureTime = captured;
        var result = InferenceResult.Rent(frame, FrameOutcome.Processed);
        frame.Release();
        return result;
    }

    private static WindowAggregator OpenWindow()
    {
        var window = new WindowAggregator("dev", "cam", 3600, ["door"], ["hall"]);
        window.Advance(T0);
        return window;
    }

    [Fact]
    public void Due_CrossingCounted_WritesOnceTheIntervalHasPassedAndNotAgainUntilTheNextChange()
    {
        var schedule = new CheckpointSchedule(TimeSpan.FromSeconds(4));
        var window = OpenWindow();
        window.AddCrossing(0, +1);
        Assert.True(schedule.Due(window, T0.AddSeconds(1))); // the first change: at once
        window.AddCrossing(0, -1);
        Assert.False(schedule.Due(window, T0.AddSeconds(4)));
        Assert.True(schedule.Due(window, T0.AddSeconds(5)));
        Assert.False(schedule.Due(window, T0.AddSeconds(30))); // nothing changed since
    }

    [Fact]
    public void Due_OnlyFramesTallied_WritesAtMostOnceAMinute()
    {
        var schedule = new CheckpointSchedule(TimeSpan.FromSeconds(4));
        var window = OpenWindow();
        window.AddProcessed([2]);
        Assert.True(schedule.Due(window, T0.AddSeconds(1))); // the zone's first sample is a change
        for (int i = 0; i < 50; i++) window.AddProcessed([2]); // a steady scene: mean, min and max stay
        window.AddDropped();
        Assert.False(schedule.Due(window, T0.AddSeconds(10)));
        Assert.False(schedule.Due(window, T0.AddSeconds(60)));
        Assert.True(schedule.Due(window, T0.AddSeconds(61)));
    }

    [Fact]
    public void Due_OccupancyChanges_IsACountChange()
    {
        var schedule = new CheckpointSchedule(TimeSpan.FromSeconds(4));
        var window = OpenWindow();
        window.AddProcessed([1]);
        Assert.True(schedule.Due(window, T0.AddSeconds(1)));
        window.AddProcessed([3]);
        Assert.True(schedule.Due(window, T0.AddSeconds(5)));
    }

    [Fact]
    public void Due_ZeroSecondsOrNoOpenWindow_NeverWrites()
    {
        var off = new CheckpointSchedule(TimeSpan.Zero);
        var window = OpenWindow();
        window.AddCrossing(0, +1);
        Assert.False(off.Due(window, T0.AddHours(1)));
        var unopened = new WindowAggregator("dev", "cam", 60, ["door"], []);
        Assert.False(new CheckpointSchedule(TimeSpan.FromSeconds(4)).Due(unopened, T0));
    }

    [Fact]
    public void Due_ClockSetBack_WritesTheNextChangeAtOnceInsteadOfWaitingForTheClockToCatchUp()
    {
        var schedule = new CheckpointSchedule(TimeSpan.FromSeconds(4));
        var window = OpenWindow();
        window.AddCrossing(0, +1);
        Assert.True(schedule.Due(window, T0.AddHours(1)));
        window.AddCrossing(0, +1);
        Assert.True(schedule.Due(window, T0.AddSeconds(1))); // NTP took an hour back
    }

    [Fact]
    public void Reconfigure_NewCheckpointSeconds_TakesEffectWithoutARestart()
    {
        var records = new StoredRecords();
        var camera = new CameraOptions { Id = "cam", Url = "x.avi", Zones = [new ZoneOptions { Id = "hall", Polygon = [[0, 0], [1, 0], [1, 1]] }] };
        var counter = new CameraCounter("dev", camera, new TrackerOptions(), new CountingOptions { WindowSeconds = 60 }, records.Writer);
        counter.Reconfigure(camera, new CountingOptions { WindowSeconds = 60, CheckpointSeconds = 0 });
        counter.Tick(T0, TimeSpan.FromSeconds(2));
        counter.Accept(ProcessedFrameAt(T0.AddSeconds(1)));
        counter.Tick(T0.AddSeconds(30), TimeSpan.FromSeconds(2));
        Assert.Empty(records.Checkpoints);
    }

    [Fact]
    public void Tick_OpenWindowChanged_HandsOnItsCheckpointBeforeTheWindowsRecord()
    {
        var records = new StoredRecords();
        var camera = new CameraOptions { Id = "cam", Url = "x.avi", Zones = [new ZoneOptions { Id = "hall", Polygon = [[0, 0], [1, 0], [1, 1]] }] };
        var counter = new CameraCounter("dev", camera, new TrackerOptions(), new CountingOptions { WindowSeconds = 60, CheckpointSeconds = 4 }, records.Writer);
        counter.Tick(T0, TimeSpan.FromSeconds(2));
        Assert.Empty(records.Checkpoints); // nothing counted yet: nothing to keep

        counter.Accept(ProcessedFrameAt(T0.AddSeconds(1)));
        counter.Tick(T0.AddSeconds(2), TimeSpan.FromSeconds(2));
        counter.Tick(T0.AddSeconds(3), TimeSpan.FromSeconds(2));

        var checkpoint = Assert.Single(records.Checkpoints);
        Assert.Equal((T0, 1L), (checkpoint.WindowStart, checkpoint.FramesProcessed));
        Assert.Empty(records.All);
        counter.Flush();
        Assert.Equal(1, Assert.Single(records.All).FramesProcessed);
    }

    public void Dispose() => _frames.Dispose();
}
