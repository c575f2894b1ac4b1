using System.Threading.Channels;
using WorkerPool.Capture;
using WorkerPool.Gate;

namespace WorkerPool.Tests.Gate;

public sealed class FrameGateTests : IDisposable
{
    private readonly FramePool _frames = new("a", 100);
    private readonly FramePool _other = new("b", 100);
    private readonly Channel<DroppedFrame> _dropped = Channel.CreateUnbounded<DroppedFrame>();

    private List<DroppedFrame> Dropped()
    {
        var all = new List<DroppedFrame>();
        while (_dropped.Reader.TryRead(out var d)) all.Add(d);
        return all;
    }

    private static Frame Stamp(FramePool pool, double seconds)
    {
        var f = pool.Rent()!;
        f.MediaSeconds = seconds;
        f.CaptureTime = DateTimeOffset.UnixEpoch.AddSeconds(seconds);
        return f;
    }

    [Fact]
    public void FrameQueue_CameraFull_DropsThatCamerasOldestFrameAnswersItAndReleasesIt()
    {
        using var small = new FramePool("a", 3);
        var queue = new FrameQueue(2, dropOldest: true, _dropped.Writer);
        var first = Stamp(small, 1);
        first.Admit = 7;
        first.Sequence = 40;
        queue.Enqueue(first);
        queue.Enqueue(Stamp(_other, 1.5));
        queue.Enqueue(Stamp(small, 2));
        queue.Enqueue(Stamp(small, 3));

        Assert.Equal([new DroppedFrame("a", 7, 40, DateTimeOffset.UnixEpoch.AddSeconds(1))], Dropped());
        Assert.Equal(3, queue.Depth);
        // The dropped frame went back to its camera: with two waiting, a pool of three has one to give.
        Assert.NotNull(small.Rent());
        // Oldest waiting first across cameras.
        Assert.Equal(1.5, queue.Dequeue(CancellationToken.None)!.MediaSeconds);
        Assert.Equal(2, queue.Dequeue(CancellationToken.None)!.MediaSeconds);
    }

    [Fact]
    public async Task FrameQueue_ReplayMode_BlocksTheProducerInsteadOfDropping()
    {
        var queue = new FrameQueue(1, dropOldest: false, _dropped.Writer);
        queue.Enqueue(Stamp(_frames, 1));
        var second = Task.Run(() => queue.Enqueue(Stamp(_frames, 2)));
        await Task.Delay(100);
        Assert.False(second.IsCompleted);
        Assert.Equal(1, queue.Dequeue(CancellationToken.None)!.MediaSeconds);
        Assert.True(await second.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(2, queue.Dequeue(CancellationToken.None)!.MediaSeconds);
        Assert.Empty(Dropped()); // replay never drops
    }

    [Fact]
    public void FrameQueue_DropAll_AnswersEveryWaitingFrameAsDropped()
    {
        var queue = new FrameQueue(4, dropOldest: false, _dropped.Writer);
        queue.Enqueue(Stamp(_frames, 1));
        queue.Enqueue(Stamp(_other, 2));
        queue.Complete();
        Assert.Equal(2, queue.DropAll());
        Assert.Equal(["a", "b"], Dropped().Select(d => d.CameraId).Order());
        Assert.Equal(0, queue.Depth);
        Assert.Null(queue.Dequeue(CancellationToken.None));
    }

    [Fact]
    public void FrameQueue_Completed_DequeueDrainsThenReturnsNull()
    {
        var queue = new FrameQueue(4, dropOldest: true, _dropped.Writer);
        queue.Enqueue(Stamp(_frames, 1));
        queue.Complete();
        Assert.False(queue.Enqueue(Stamp(_frames, 2)));
        Assert.NotNull(queue.Dequeue(CancellationToken.None));
        Assert.Null(queue.Dequeue(CancellationToken.None));
    }

    [Fact]
    public void FrameGate_TargetFpsBelowSource_AdmitsEvenlyAndNumbersDensely()
    {
        var queue = new FrameQueue(100, dropOldest: true, _dropped.Writer);
        var gate = new FrameGate("a", fps: 5, queue);
        var admitted = new List<(double, long)>();
        for (int i = 0; i < 25; i++)
        {
            var f = Stamp(_frames, i / 25.0);
            if (gate.Offer(f)) admitted.Add((f.MediaSeconds, f.Admit));
            else f.Release();
        }
        Assert.Equal(5, admitted.Count);
        Assert.Equal([0L, 1, 2, 3, 4], admitted.Select(a => a.Item2));
        Assert.Equal([0, 0.2, 0.4, 0.6, 0.8], admitted.Select(a => Math.Round(a.Item1, 2)));
        Assert.Equal(20, gate.Skipped);
    }

    [Fact]
    public void FrameGate_ZeroFps_AdmitsEveryFrame()
    {
        var queue = new FrameQueue(100, dropOldest: true, _dropped.Writer);
        var gate = new FrameGate("a", fps: 0, queue);
        for (int i = 0; i < 10; i++) Assert.True(gate.Offer(Stamp(_frames, i / 25.0)));
        Assert.Equal(10, gate.Admitted);
    }

    public void Dispose()
    {
        _frames.Dispose();
        _other.Dispose();
    }
}
