using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using OpenCvSharp;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Gate;
using WorkerPool.Inference;

namespace WorkerPool.Tests.Inference;

public sealed class InferencePoolTests : IDisposable
{
    private readonly FramePool _frames = new("cam", 64);
    private readonly Channel<InferenceResult> _results = Channel.CreateUnbounded<InferenceResult>();
    private readonly Channel<DroppedFrame> _dropped = Channel.CreateUnbounded<DroppedFrame>();

    /// <summary>The pool's next answer, or null when none comes in time.</summary>
    private async Task<InferenceResult?> NextResult(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try { return await _results.Reader.ReadAsync(cancel.Token); }
        catch (OperationCanceledException) { return null; }
    }

    private Frame NewFrame(long admit)
    {
        var frame = _frames.Rent()!;
        if (frame.Image.Empty()) frame.Image.Create(48, 64, MatType.CV_8UC3);
        frame.Admit = admit;
        return frame;
    }

    private InferencePool NewPool(FrameQueue queue, IDetectorFactory factory, int timeoutMs = 5000, params int[][] cores)
    {
        var options = new PoolOptions
        {
            Workers = cores.Length == 0 ? [new WorkerOptions()] : cores.Select(c => new WorkerOptions { Cores = [.. c] }).ToList(),
            InferenceTimeoutMs = timeoutMs,
        };
        return new InferencePool(options, factory, queue, _results.Writer, TimeProvider.System, NullLogger.Instance);
    }


    [Fact]
    public async Task Worker_PinnedToCore_RunsItsInferenceOnlyOnThatCore()
    {
        if (!OperatingSystem.IsLinux()) return;
        int core = ThreadAffinity.AllowedCores().Max;
        var factory = new FakeFactory(() => new FakeDetector());
        var queue = new FrameQueue(4, dropOldest: false, _dropped.Writer);
        await using var pool = NewPool(queue, factory, cores: [core]);
        pool.Start(TimeSpan.FromSeconds(10));

        queue.Enqueue(NewFrame(0));
        var r = await NextResult(TimeSpan.FromSeconds(10));
        Assert.NotNull(r);

        Assert.Equal(FrameOutcome.Processed, r.Outcome);
        // Read from /proc/thread-self/status inside Detect, on the worker's own thread.
        Assert.Equal(core.ToString(System.Globalization.CultureInfo.InvariantCulture), factory.Detectors.Single().CpusSeenInDetect);
        Assert.Equal(core.ToString(System.Globalization.CultureInfo.InvariantCulture), pool.Status().Single().CpusAllowed);
    }

    [Fact]
    public async Task Inference_Throws_FrameFailsWorkerIsReplacedAndPoolKeepsItsSize()
    {
        int created = 0;
        var factory = new FakeFactory(() => new FakeDetector { ThrowOnCall = Interlocked.Increment(ref created) == 1 ? 2 : -1 });
        var queue = new FrameQueue(8, dropOldest: false, _dropped.Writer);
        await using var pool = NewPool(queue, factory);
        pool.Start(TimeSpan.FromSeconds(10));

        for (int i = 0; i < 5; i++) queue.Enqueue(NewFrame(i));
        var outcomes = new List<(long, FrameOutcome)>();
        for (int i = 0; i < 5; i++)
        {
            var r = await NextResult(TimeSpan.FromSeconds(20));
            Assert.NotNull(r);
            outcomes.Add((r.Admit, r.Outcome));
        }

        Assert.Equal(FrameOutcome.Failed, outcomes.Single(o => o.Item1 == 1).Item2);
        Assert.Equal(4, outcomes.Count(o => o.Item2 == FrameOutcome.Processed));
        Assert.Equal(2, factory.Detectors.Count); // the original and its replacement
        var status = Assert.Single(pool.Status());
        Assert.Equal((1L, 4L), (status.Metrics.Replacements, status.Metrics.Processed));
    }

    [Fact]
    public async Task Inference_Hangs_TimesOutFailsTheFrameAndAReplacementTakesOver()
    {
        using var release = new ManualResetEventSlim();
        int created = 0;
        var factory = new FakeFactory(() => new FakeDetector { HangOnCall = Interlocked.Increment(ref created) == 1 ? 1 : -1, Hang = release });
        var queue = new FrameQueue(8, dropOldest: false, _dropped.Writer);
        await using var pool = NewPool(queue, factory, timeoutMs: 300);
        pool.Start(TimeSpan.FromSeconds(10));

        queue.Enqueue(NewFrame(0));
        var first = await NextResult(TimeSpan.FromSeconds(20));
        Assert.NotNull(first);
        queue.Enqueue(NewFrame(1));
        var second = await NextResult(TimeSpan.FromSeconds(20));
        Assert.NotNull(second);

        Assert.Equal((0L, FrameOutcome.Failed), (first.Admit, first.Outcome));
        Assert.Equal((1L, FrameOutcome.Processed), (second.Admit, second.Outcome));
        Assert.Equal(1, Assert.Single(pool.Status()).Metrics.Replacements);
        release.Set(); // let the abandoned thread finish; its late answer must not appear
        await Task.Delay(200);
        Assert.False(_results.Reader.TryRead(out _));
    }

    [Fact]
    public async Task Inference_HangsForGood_TheFrameIsWrittenOffSoTheCameraKeepsItsWholeFrameSupply()
    {
        using var never = new ManualResetEventSlim();
        using var frames = new FramePool("cam", 3);
        int created = 0;
        var factory = new FakeFactory(() => new FakeDetector { HangOnCall = Interlocked.Increment(ref created) == 1 ? 1 : -1, Hang = never, IgnoreAbort = true });
        var queue = new FrameQueue(8, dropOldest: false, _dropped.Writer);
        await using var pool = NewPool(queue, factory, timeoutMs: 300);
        pool.Start(TimeSpan.FromSeconds(10));

        var hung = frames.Rent()!;
        hung.Image.Create(48, 64, MatType.CV_8UC3);
        queue.Enqueue(hung);
        var failed = await NextResult(TimeSpan.FromSeconds(20));
        Assert.NotNull(failed);
        Assert.Equal(FrameOutcome.Failed, failed.Outcome);

        // The abandoned thread still holds its frame; the camera's pool has written it off and can make all three.
        // The failed result goes out just before the write-off (so it never reads a freed image): wait for it.
        var rented = new List<Frame>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (rented.Count < 3 && DateTime.UtcNow < deadline)
        {
            if (frames.Rent() is { } f) rented.Add(f);
            else await Task.Delay(5);
        }
        Assert.Equal(3, rented.Count);
        never.Set();
    }

    [Fact]
    public async Task Inference_Hangs_TheDetectorIsToldToAbort()
    {
        using var never = new ManualResetEventSlim();
        var factory = new FakeFactory(() => new FakeDetector { HangOnCall = 1, Hang = never });
        var queue = new FrameQueue(8, dropOldest: false, _dropped.Writer);
        await using var pool = NewPool(queue, factory, timeoutMs: 300);
        pool.Start(TimeSpan.FromSeconds(10));
        queue.Enqueue(NewFrame(0));
        Assert.NotNull(await NextResult(TimeSpan.FromSeconds(20)));
        Assert.True(factory.Detectors.First().Aborted); // ONNX Runtime: RunOptions.Terminate ends the run
    }

    [Fact]
    public async Task TimedOutInferenceThatReturnsAsSoonAsItIsAborted_IsFailedWithTheFramesOwnStamps_NeverAFreedImage()
    {
        // The abort ends the run at once, so the worker lets go of its frame while the supervisor is still failing it:
        // the supervisor used to write the frame off first, and the worker's release then freed the image that the
        // failed result was reading (a segfault in libOpenCvSharpExtern, about one unit-test run in four).
        for (int round = 0; round < 20; round++)
        {
            var factory = new FakeFactory(() => new FakeDetector { HangOnCall = 1, Hang = new ManualResetEventSlim() });
            var queue = new FrameQueue(8, dropOldest: false, _dropped.Writer);
            await using var pool = NewPool(queue, factory, timeoutMs: 50);
            pool.Start(TimeSpan.FromSeconds(10));
            queue.Enqueue(NewFrame(round));
            var r = await NextResult(TimeSpan.FromSeconds(20));
            Assert.True(r is not null, $"round {round}: no result");
            Assert.Equal((round, FrameOutcome.Failed, 64, 48), ((int)r.Admit, r.Outcome, r.FrameWidth, r.FrameHeight));
        }
    }

    [Fact]
    public async Task HandOver_WhileAWorkerHangs_FailsItsFrameSoCountingGoesOn()
    {
        using var never = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var factory = new FakeFactory(() => new FakeDetector { HangOnCall = 1, Hang = never, Entered = entered, IgnoreAbort = true });
        var queue = new FrameQueue(8, dropOldest: false, _dropped.Writer);
        var pool = NewPool(queue, factory, timeoutMs: 500);
        pool.Start(TimeSpan.FromSeconds(10));
        queue.Enqueue(NewFrame(0));
        Assert.True(entered.Wait(TimeSpan.FromSeconds(10)));

        // A remote config swaps the pool while the worker hangs: its frame must still get its one result, or the
        // camera's reorder buffer waits for it forever.
        await pool.HandOverAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var r = await NextResult(TimeSpan.FromSeconds(10));
        Assert.True(r is not null, "the hung frame got no result");
        Assert.Equal((0L, FrameOutcome.Failed), (r.Admit, r.Outcome));
        await pool.DisposeAsync();
        never.Set();
    }

    [Fact]
    public async Task Dispose_WhileAWorkerHangs_FailsItsFrameAndStartsNoReplacement()
    {
        using var never = new ManualResetEventSlim();
        using var entered = new ManualResetEventSlim();
        var factory = new FakeFactory(() => new FakeDetector { HangOnCall = 1, Hang = never, Entered = entered, IgnoreAbort = true });
        var queue = new FrameQueue(8, dropOldest: false, _dropped.Writer);
        var pool = NewPool(queue, factory, timeoutMs: 300);
        pool.Start(TimeSpan.FromSeconds(10));
        queue.Enqueue(NewFrame(0));
        Assert.True(entered.Wait(TimeSpan.FromSeconds(10)));

        await pool.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        var r = await NextResult(TimeSpan.FromSeconds(10));
        Assert.True(r is not null, "the hung frame got no result");
        Assert.Equal((0L, FrameOutcome.Failed), (r.Admit, r.Outcome));
        // A replacement would load a model into a pool that is gone, and use its disposed stop token.
        Assert.Equal("replacing", pool.Status().Single().State);
        never.Set();
    }

    [Fact]
    public async Task ProcessedFrames_AreTalliedForTheirCamera_WithTheCaptureTimeOfTheLastOneWithAPerson()
    {
        var factory = new FakeFactory(() => new FakeDetector { NobodyFromCall = 2, ThrowOnCall = 4 });
        var queue = new FrameQueue(4, dropOldest: false, _dropped.Writer);
        await using var pool = NewPool(queue, factory);
        pool.Start(TimeSpan.FromSeconds(10));
        var t0 = new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

        for (int i = 0; i < 4; i++)
        {
            var frame = NewFrame(i);
            frame.CaptureTime = t0.AddSeconds(i);
            queue.Enqueue(frame);
            var r = await NextResult(TimeSpan.FromSeconds(10));
            Assert.NotNull(r);
            r.Return();
        }

        // A person in the first frame only (then weak boxes, no person); the fourth failed, so it is not processed.
        Assert.Equal((3L, (DateTimeOffset?)t0), (_frames.Detections.Processed, _frames.Detections.LastDetectionAt));
    }

    [Fact]
    public async Task Start_DetectorCannotLoad_ThrowsClearly()
    {
        var factory = new FakeFactory(() => throw new InvalidOperationException("no such model"));
        var queue = new FrameQueue(2, dropOldest: true, _dropped.Writer);
        await using var pool = NewPool(queue, factory);
        var ex = Assert.Throws<InvalidOperationException>(() => pool.Start(TimeSpan.FromSeconds(10)));
        Assert.Contains("no such model", ex.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        _frames.Dispose();
    }

    private sealed class FakeFactory(Func<FakeDetector> create) : IDetectorFactory
    {
        public ConcurrentQueue<FakeDetector> Detectors { get; } = new();

        public IDetector Create(ExecutionDevice device, int threads)
        {
            var d = create();
            Detectors.Enqueue(d);
            return d;
        }
    }

    private sealed class FakeDetector : IDetector
    {
        private int _calls;
        private readonly ManualResetEventSlim _abort = new();
        public int ThrowOnCall { get; init; } = -1;
        public int HangOnCall { get; init; } = -1;
        public int NobodyFromCall { get; init; } = int.MaxValue;
        public ManualResetEventSlim? Hang { get; init; }
        public ManualResetEventSlim? Entered { get; init; }
        public bool IgnoreAbort { get; init; }
        public bool Aborted { get; private set; }
        public string? CpusSeenInDetect { get; private set; }
        public string ActiveDevice => "cpu";
        public string? FallbackReason => null;

        public void Detect(Mat frame, List<Detection> into)
        {
            int call = ++_calls;
            CpusSeenInDetect = ThreadAffinity.ReadCurrentThreadCpusAllowed();
            if (call == ThrowOnCall) throw new InvalidOperationException("model blew up");
            if (call == HangOnCall)
            {
                Entered?.Set();
                if (IgnoreAbort) Hang!.Wait(TimeSpan.FromSeconds(30));
                else WaitHandle.WaitAny([Hang!.WaitHandle, _abort.WaitHandle], TimeSpan.FromSeconds(30));
                if (Aborted) throw new OperationCanceledException("terminated");
            }
            into.Clear();
            into.Add(new Detection(new(1, 2, 3, 4), call < NobodyFromCall ? 0.9f : 0.2f)); // from then on only a weak box
        }

        public void Abort()
        {
            Aborted = true;
            _abort.Set();
        }

        public void Dispose() { }
    }
}
