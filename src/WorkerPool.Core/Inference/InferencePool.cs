using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Diagnostics;
using WorkerPool.Gate;

namespace WorkerPool.Inference;

/// <summary>
/// The fixed-size inference pool: one dedicated OS thread per configured worker, pinned to its cores, each with
/// its own model session. A worker whose inference throws or overruns the timeout is replaced in its slot;
/// the pool never shrinks. Every frame a worker takes from the queue yields exactly one <see cref="InferenceResult"/>
/// on the results channel (the queue answers the frames it drops itself), and the worker hands the frame back to its
/// camera before it writes the result, which holds no pixels.
/// </summary>
public sealed class InferencePool : IAsyncDisposable
{
    private readonly PoolOptions _options;
    private readonly IDetectorFactory _factory;
    private readonly FrameQueue _queue;
    private readonly ChannelWriter<InferenceResult> _results;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly WorkerSlot[] _slots;
    private readonly CancellationTokenSource _stop = new();
    private ITimer? _supervisor;

    /// <summary>Creates the pool; <see cref="Start"/> loads the models.</summary>
    /// <param name="queue">Where the workers take frames from.</param>
    /// <param name="results">Where the workers put their answers (unbounded: a worker thread never waits on counting).</param>
    public InferencePool(PoolOptions options, IDetectorFactory factory, FrameQueue queue, ChannelWriter<InferenceResult> results, TimeProvider time, ILogger logger)
    {
        _options = options;
        _factory = factory;
        _queue = queue;
        _results = results;
        _time = time;
        _logger = logger;
        _slots = options.Workers.Select((w, i) => new WorkerSlot(this, i, w)).ToArray();
    }

    /// <summary>Frames waiting for a worker.</summary>
    public int QueueDepth => _queue.Depth;

    /// <summary>Number of worker slots (fixed).</summary>
    public int Size => _slots.Length;

    /// <summary>Starts every worker and waits until each has loaded its model; throws if one cannot.</summary>
    public void Start(TimeSpan loadTimeout)
    {
        foreach (var slot in _slots) slot.Spawn();
        foreach (var slot in _slots) slot.WaitReady(loadTimeout);
        var period = TimeSpan.FromMilliseconds(Math.Clamp(_options.InferenceTimeoutMs / 4, 25, 1000));
        _supervisor = _time.CreateTimer(_ => Supervise(), null, period, period);
    }

    /// <summary>Status of every worker.</summary>
    public IReadOnlyList<WorkerStatus> Status()
    {
        long now = _time.GetTimestamp();
        return _slots.Select(s => s.Status(now)).ToArray();
    }

    /// <summary>Checks for overrunning inferences; public so tests with a fake clock can drive it.</summary>
    public void Supervise()
    {
        long now = _time.GetTimestamp();
        foreach (var slot in _slots) slot.CheckTimeout(now);
    }

    /// <summary>
    /// Stops the workers but leaves the queue open with its frames, for a new pool to take over (a remote config
    /// changed the pool or the model). Each worker finishes the frame it holds, so no admitted frame goes unanswered.
    /// </summary>
    public async Task HandOverAsync()
    {
        _stopping = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        await JoinAllAsync().ConfigureAwait(false);
        _handedOver = true;
    }

    private bool _handedOver;

    // Set before the workers are joined: a worker abandoned now is not replaced (its replacement would load a model
    // into a pool that is going away, and outlive it).
    private volatile bool _stopping;

    /// <summary>
    /// Waits for every worker to finish the frame it holds. The supervisor keeps watching meanwhile, so a worker hung
    /// now still fails its frame at its timeout (its camera's reorder buffer would otherwise wait for it forever);
    /// one that outlasts even that is abandoned the same way.
    /// </summary>
    private async Task JoinAllAsync()
    {
        var patience = TimeSpan.FromMilliseconds(_options.InferenceTimeoutMs) + TimeSpan.FromSeconds(5);
        foreach (var slot in _slots) await slot.JoinAsync(patience).ConfigureAwait(false);
        if (_supervisor is not null) await _supervisor.DisposeAsync().ConfigureAwait(false);
        _supervisor = null;
    }

    /// <summary>Stops accepting work, lets workers finish their current frame, and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_handedOver)
        {
            _stop.Dispose(); // the queue belongs to the pool that took over
            return;
        }
        _stopping = true;
        _queue.Complete();
        await JoinAllAsync().ConfigureAwait(false);
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private static float BestScore(List<Detection> detections)
    {
        float best = 0;
        foreach (var d in detections) best = Math.Max(best, d.Score);
        return best;
    }

    private void Answer(InferenceResult result)
    {
        // Refused only once the pipeline has stopped counting: the result goes back to its pool.
        if (!_results.TryWrite(result)) result.Return();
    }

    private sealed class WorkerSlot
    {
        private readonly InferencePool _pool;
        private readonly int _index;
        private readonly WorkerOptions _options;
        private readonly ExecutionDevice _device;
        private readonly WorkerMetrics _metrics;
        private volatile Worker? _current;
        private int _generation;

        public WorkerSlot(InferencePool pool, int index, WorkerOptions options)
        {
            _pool = pool;
            _index = index;
            _options = options;
            if (!ExecutionDevice.TryParse(options.Device, out _device))
                throw new ArgumentException($"pool.workers[{index}].device '{options.Device}' is not a device", nameof(options));
            _metrics = new WorkerMetrics(pool._time.GetTimestamp());
        }

        public void Spawn()
        {
            var worker = new Worker(this, ++_generation);
            _current = worker;
            worker.Start();
        }

        public void WaitReady(TimeSpan timeout)
        {
            var worker = _current!;
            if (!worker.Ready.Wait(timeout)) throw new TimeoutException($"worker {_index} did not load its model within {timeout}");
            if (worker.LoadError is not null) throw new InvalidOperationException($"worker {_index} could not load its model: {worker.LoadError.Message}", worker.LoadError);
        }

        public async Task JoinAsync(TimeSpan timeout)
        {
            var worker = _current;
            if (worker is null) return;
            using var cancel = new CancellationTokenSource();
            var done = await Task.WhenAny(worker.Done.Task, Task.Delay(timeout, _pool._time, cancel.Token)).ConfigureAwait(false);
            await cancel.CancelAsync().ConfigureAwait(false);
            if (done != worker.Done.Task && worker.TryAbandon(out var frame)) Abandon(worker, frame, "did not stop");
        }

        public void CheckTimeout(long now)
        {
            var worker = _current;
            if (worker is null || !worker.TryTimeOut(now, TimeSpan.FromMilliseconds(TimeoutMs), out var frame)) return;
            Log.InferenceTimedOut(_pool._logger, _index, frame!.CameraId, frame.Sequence, TimeoutMs);
            Abandon(worker, frame, "inference timed out");
        }

        /// <summary>
        /// Gives up on a worker stuck in an inference: its frame fails (exactly one result per admitted frame), the
        /// detector is asked to abort, the frame is written off so its camera can make a new one, and a new worker
        /// takes the slot unless the pool is stopping. The thread itself cannot be killed; it frees what it holds if
        /// it ever returns.
        /// </summary>
        private void Abandon(Worker worker, Frame? frame, string reason)
        {
            try
            {
                worker.Abort();
                if (frame is not null)
                {
                    _metrics.Record(TimeSpan.FromMilliseconds(TimeoutMs), ok: false);
                    // Failed first: the result reads the frame (its stamps, its image's size), and once it is written
                    // off the worker's release frees the image.
                    Fail(frame);
                    frame.WriteOff();
                }
            }
            finally
            {
                // The aborted inference may return at once: its thread waits for this before it lets go of the frame,
                // so the frame is never freed (or handed back to the camera) while it is read above.
                worker.Abandoned.Set();
            }
            Replace(worker, reason);
        }

        private int TimeoutMs => _pool._options.InferenceTimeoutMs;

        public void Fail(Frame frame) => _pool.Answer(InferenceResult.Rent(frame, FrameOutcome.Failed));

        public void Replace(Worker old, string reason)
        {
            if (Interlocked.CompareExchange(ref _current, null, old) != old) return;
            _metrics.RecordReplacement();
            Log.WorkerReplaced(_pool._logger, _index, reason);
            if (!_pool._stopping) Spawn();
        }

        public WorkerStatus Status(long now)
        {
            var w = _current;
            return new WorkerStatus(_index, _options.Device, w?.ActiveDevice ?? "-", w?.FallbackReason,
                ThreadAffinity.FormatList(_options.Cores), w?.CpusAllowed, w?.State ?? "replacing", _metrics.Snapshot(now, _pool._time));
        }

        /// <summary>One generation of the slot: a thread and a detector. Abandoned (not killed) when it hangs.</summary>
        public sealed class Worker(WorkerSlot slot, int generation)
        {
            private const int Idle = 0, Running = 1, Finished = 2, TimedOut = 3;
            private int _job;
            private long _jobStart;
            private Frame? _frame;

            private volatile IDetector? _detector;

            public ManualResetEventSlim Ready { get; } = new();

            /// <summary>Set once the supervisor is done with the frame of the job it abandoned.</summary>
            public ManualResetEventSlim Abandoned { get; } = new();

            /// <summary>Set when the thread has exited, or the worker was abandoned.</summary>
            public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
            public Exception? LoadError { get; private set; }
            public string? ActiveDevice { get; private set; }
            public string? FallbackReason { get; private set; }
            public string? CpusAllowed { get; private set; }
            public string State { get; private set; } = "starting";

            public void Start()
            {
                var thread = new Thread(Run) { IsBackground = true, Name = $"infer-{slot._index}.{generation}" };
                thread.Start();
            }

            public bool TryTimeOut(long now, TimeSpan timeout, out Frame? frame)
            {
                frame = Volatile.Read(ref _frame);
                if (Volatile.Read(ref _job) != Running || frame is null) return false;
                if (slot._pool._time.GetElapsedTime(Interlocked.Read(ref _jobStart), now) < timeout) return false;
                if (Interlocked.CompareExchange(ref _job, TimedOut, Running) != Running) return false;
                State = "hung";
                return true;
            }

            /// <summary>Marks a worker that did not stop as abandoned; hands back the frame it holds, if any.</summary>
            public bool TryAbandon(out Frame? frame)
            {
                frame = Volatile.Read(ref _frame);
                int job = Interlocked.Exchange(ref _job, TimedOut);
                if (job == TimedOut) return false; // the supervisor got there first
                if (job != Running) frame = null; // between frames: nothing to fail
                State = "hung";
                Done.TrySetResult();
                return true;
            }

            /// <summary>Asks the detector to end the inference it is stuck in.</summary>
            public void Abort()
            {
                Done.TrySetResult();
                try { _detector?.Abort(); }
                catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException) { }
            }

            private void Run()
            {
                var pool = slot._pool;
                IDetector? detector = null;
                try
                {
                    try
                    {
                        // Pin before the session exists: ONNX Runtime's intra-op threads inherit this thread's mask.
                        ThreadAffinity.PinCurrentThread(slot._options.Cores);
                        CpusAllowed = ThreadAffinity.ReadCurrentThreadCpusAllowed();
                        detector = _detector = pool._factory.Create(slot._device, slot._options.Cores.Count);
                        ActiveDevice = detector.ActiveDevice;
                        FallbackReason = detector.FallbackReason;
                        State = FallbackReason is null ? "ready" : "ready (cpu fallback)";
                    }
                    catch (Exception ex)
                    {
                        LoadError = ex;
                        State = "failed";
                        Log.WorkerLoadFailed(pool._logger, ex, slot._index);
                        return;
                    }
                    finally { Ready.Set(); }
                    Log.WorkerStarted(pool._logger, slot._index, ActiveDevice!, CpusAllowed ?? "-");
                    Loop(detector);
                }
                finally
                {
                    _detector = null;
                    detector?.Dispose();
                    Done.TrySetResult();
                }
            }

            private void Loop(IDetector detector)
            {
                var pool = slot._pool;
                while (true)
                {
                    var frame = pool._queue.Dequeue(pool._stop.Token);
                    if (frame is null) return;
                    var result = InferenceResult.Rent(frame, FrameOutcome.Processed);
                    Interlocked.Exchange(ref _jobStart, pool._time.GetTimestamp());
                    Volatile.Write(ref _frame, frame);
                    Volatile.Write(ref _job, Running);
                    Exception? error = null;
                    try { detector.Detect(frame.Image, result.Detections); }
                    catch (Exception ex) { error = ex; }
                    var latency = pool._time.GetElapsedTime(Interlocked.Read(ref _jobStart));

                    if (Interlocked.CompareExchange(ref _job, Finished, Running) != Running)
                    {
                        // The supervisor failed this frame and replaced us: drop our answer and leave, letting go of the
                        // frame only once it has finished with it (bounded: if it never does, the frame is leaked, not
                        // freed under it).
                        result.Return();
                        if (Abandoned.Wait(TimeSpan.FromSeconds(30))) frame.Release();
                        return;
                    }
                    Volatile.Write(ref _frame, null);
                    if (error is null)
                    {
                        slot._metrics.Record(latency, ok: true);
                        frame.NoteInference(BestScore(result.Detections));
                        frame.Release();
                        pool.Answer(result);
                        continue;
                    }
                    Log.InferenceFailed(pool._logger, error, slot._index, frame.CameraId, frame.Sequence);
                    slot._metrics.Record(latency, ok: false);
                    result.Outcome = FrameOutcome.Failed;
                    result.Detections.Clear();
                    frame.Release();
                    pool.Answer(result);
                    State = "failed";
                    slot.Replace(this, "inference threw " + error.GetType().Name);
                    return;
                }
            }
        }
    }
}
