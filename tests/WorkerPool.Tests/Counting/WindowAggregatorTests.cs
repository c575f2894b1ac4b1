using Microsoft.Extensions.Time.Testing;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Counting;
using WorkerPool.Inference;

namespace WorkerPool.Tests.Counting;

public class WindowAggregatorTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 7, TimeSpan.Zero);

    [Fact]
    public void Align_AnyTime_FallsOnWallClockMultipleOfWindow()
    {
        var agg = new WindowAggregator("d", "c", 60, [], []);
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 10, 0, 0, TimeSpan.Zero), agg.Align(T0));
        Assert.Equal(new DateTimeOffset(2026, 11, 22, 10, 1, 0, TimeSpan.Zero), agg.Align(T0.AddSeconds(55)));
    }

    [Fact]
    public void FirstWindowWithFramesAfterStart_IsWarmingUp_TheNextOnesAreNot()
    {
        var agg = new WindowAggregator("dev", "cam", 60, [], ["lobby"]);
        agg.Advance(T0);
        var empty = agg.Advance(T0.AddSeconds(60)); // the camera delivered nothing yet: no tracks warmed up
        agg.AddProcessed([1]);
        Assert.True(agg.Peek()!.WarmingUp); // a checkpoint of it says so too
        var first = agg.Advance(T0.AddSeconds(120));
        agg.AddProcessed([3]);
        var second = agg.Advance(T0.AddSeconds(180));

        Assert.Equal((true, true, false), (empty!.WarmingUp, first!.WarmingUp, second!.WarmingUp));
    }

    [Fact]
    public void Advance_FrameInNextWindow_ClosesRecordWithCountsAndOccupancy()
    {
        var agg = new WindowAggregator("dev", "cam", 60, ["door"], ["lobby"]);
        Assert.Null(agg.Advance(T0));
        agg.AddProcessed([2]);
        agg.AddProcessed([4]);
        agg.AddCrossing(0, +1);
        agg.AddCrossing(0, -1);
        agg.AddCrossing(0, +1);
        agg.AddDropped();
        agg.AddFailed();
        Assert.Null(agg.Advance(T0.AddSeconds(30)));

        var record = agg.Advance(T0.AddSeconds(60));
        Assert.NotNull(record);
        Assert.Equal(("dev", "cam"), (record.DeviceId, record.CameraId));
        Assert.Equal(T0.AddSeconds(-7), record.WindowStart);
        Assert.Equal(T0.AddSeconds(53), record.WindowEnd);
        Assert.Equal((2L, 1L, 1L), (record.FramesProcessed, record.FramesDropped, record.FramesFailed));
        Assert.Equal(new LineCount(2, 1), record.Lines["door"]);
        Assert.Equal(new ZoneOccupancy(3, 2, 4), record.Zones["lobby"]);

        // The next window starts from zero.
        var next = agg.Flush();
        Assert.NotNull(next);
        Assert.Equal(0, next.FramesProcessed);
        Assert.Equal(new LineCount(0, 0), next.Lines["door"]);
    }

    [Fact]
    public void Tick_ClockPassesWindowEndWithoutFrames_StillReportsTheWindow()
    {
        var time = new FakeTimeProvider(T0);
        var records = new StoredRecords();
        var camera = new CameraOptions { Id = "cam", Url = "x.avi", Lines = [new LineOptions { Id = "l", From = [0, 0], To = [1, 1] }] };
        var counter = new CameraCounter("dev", camera, new TrackerOptions(), new CountingOptions { WindowSeconds = 10 }, records.Writer);

        counter.Tick(time.GetUtcNow(), TimeSpan.FromSeconds(2));
        time.Advance(TimeSpan.FromSeconds(4)); // 10:00:11, still within grace of the 10:00:00 window's end
        counter.Tick(time.GetUtcNow(), TimeSpan.FromSeconds(2));
        Assert.Empty(records.All);
        time.Advance(TimeSpan.FromSeconds(2)); // 10:00:13
        counter.Tick(time.GetUtcNow(), TimeSpan.FromSeconds(2));
        var record = Assert.Single(records.All);
        Assert.Equal(0, record.FramesProcessed);
        Assert.Equal(new LineCount(0, 0), record.Lines["l"]);
    }

    private static CameraOptions CameraWithLine(string id, double x) =>
        new() { Id = "cam", Url = "x.avi", Lines = [new LineOptions { Id = id, From = [x, 0], To = [x, 1] }] };

    [Fact]
    public void Reconfigure_LineMovedUnderTheSameId_KeepsTheOpenWindow()
    {
        var records = new StoredRecords();
        var counter = new CameraCounter("dev", CameraWithLine("door", 0.5), new TrackerOptions(), new CountingOptions(), records.Writer);
        counter.Tick(T0, TimeSpan.FromSeconds(2));
        counter.Reconfigure(CameraWithLine("door", 0.3), new CountingOptions());
        Assert.Empty(records.All);
        counter.Flush();
        Assert.Equal(0.3, counter.Lines[0].From.X);
        Assert.True(Assert.Single(records.All).Lines.ContainsKey("door"));
    }

    [Fact]
    public void Reconfigure_NewLineIds_StoresTheOpenWindowFirstThenCountsTheNewLines()
    {
        var records = new StoredRecords();
        var counter = new CameraCounter("dev", CameraWithLine("door", 0.5), new TrackerOptions(), new CountingOptions(), records.Writer);
        counter.Tick(T0, TimeSpan.FromSeconds(2));
        counter.Reconfigure(CameraWithLine("gate", 0.5), new CountingOptions { WindowSeconds = 30 });
        Assert.Equal(["door"], Assert.Single(records.All).Lines.Keys);
        counter.Tick(T0.AddSeconds(1), TimeSpan.FromSeconds(2));
        counter.Flush();
        Assert.Equal(["gate"], records.All[1].Lines.Keys);
        Assert.Equal(TimeSpan.FromSeconds(30), records.All[1].WindowEnd - records.All[1].WindowStart);
    }
}
