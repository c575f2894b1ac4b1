using System.Threading.Channels;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Counting;
using WorkerPool.Gate;
using WorkerPool.Inference;
using WorkerPool.Tracking;

namespace WorkerPool.Tests.Counting;

/// <summary>What a counter stores, read back from its records channel as the pipeline's store loop would.</summary>
internal sealed class StoredRecords
{
    private readonly Channel<CountOutput> _channel = Channel.CreateUnbounded<CountOutput>();
    private readonly List<CountRecord> _seen = [];
    private readonly List<CountRecord> _checkpoints = [];

    public ChannelWriter<CountOutput> Writer => _channel.Writer;

    /// <summary>The closed windows so far.</summary>
    public List<CountRecord> All
    {
        get
        {
            Drain();
            return _seen;
        }
    }

    /// <summary>The checkpoints of open windows so far.</summary>
    public List<CountRecord> Checkpoints
    {
        get
        {
            Drain();
            return _checkpoints;
        }
    }

    private void Drain()
    {
        while (_channel.Reader.TryRead(out var output)) (output.IsCheckpoint ? _checkpoints : _seen).Add(output.Record);
    }
}

public sealed class CameraCounterTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 10, 0, 7, TimeSpan.Zero);
    private readonly FramePool _frames = new("cam", 8);

    private InferenceResult Result(long admit, FrameOutcome outcome)
    {
        var frame = _frames.Rent()!;
        frame.Admit = admit;
        frame.CaptureTime = At(admit);
        var result = InferenceResult.Rent(frame, outcome);
        frame.Release(); // as a worker does: the result keeps the stamps, not the frame
        return result;
    }

    private static DateTimeOffset At(long admit) => T0.AddSeconds(admit * 0.5);

    [Fact]
    public void Accept_AnswersOutOfOrderWithADrop_CountsThemInAdmissionOrderAndTheDropAsDropped()
    {
        var records = new StoredRecords();
        var camera = new CameraOptions { Id = "cam", Url = "x.avi", Lines = [new LineOptions { Id = "l", From = [0.5, 0], To = [0.5, 1] }] };
        var counter = new CameraCounter("dev", camera, new TrackerOptions(), new CountingOptions { WindowSeconds = 10 }, records.Writer);
        var seen = new Admits();
        counter.Observer = seen;

        counter.Accept(Result(2, FrameOutcome.Processed));
        counter.Accept(Result(0, FrameOutcome.Processed));
        Assert.Equal([0L], seen.List); // 1 is not answered yet: 2 waits for it
        counter.Accept(new DroppedFrame("cam", 1, 5, At(1)));
        Assert.Equal([0L, 2], seen.List);
        counter.Accept(Result(3, FrameOutcome.Failed));
        counter.Accept(Result(3, FrameOutcome.Processed)); // a duplicate: refused, not counted twice

        counter.Flush();
        var record = Assert.Single(records.All);
        Assert.Equal((2L, 1L, 1L), (record.FramesProcessed, record.FramesDropped, record.FramesFailed));
        Assert.Equal((2L, 2L), (counter.FramesProcessed, counter.FramesLost));
    }

    [Fact]
    public void Accept_DropInALaterWindow_ClosesTheOpenWindowFirst()
    {
        var records = new StoredRecords();
        var counter = new CameraCounter("dev", new CameraOptions { Id = "cam", Url = "x.avi" }, new TrackerOptions(),
            new CountingOptions { WindowSeconds = 10 }, records.Writer);
        counter.Accept(Result(0, FrameOutcome.Processed));
        counter.Accept(new DroppedFrame("cam", 1, 1, T0.AddSeconds(10))); // 10:00:17, the next window
        var closed = Assert.Single(records.All);
        Assert.Equal((1L, 0L), (closed.FramesProcessed, closed.FramesDropped));
        counter.Flush();
        Assert.Equal((0L, 1L), (records.All[1].FramesProcessed, records.All[1].FramesDropped));
    }

    public void Dispose() => _frames.Dispose();

    private sealed class Admits : IFrameObserver
    {
        public List<long> List { get; } = [];
        public void OnFrame(InferenceResult result, IReadOnlyList<Track> tracks, ReadOnlySpan<int> zoneOccupancy) => List.Add(result.Admit);
    }
}
