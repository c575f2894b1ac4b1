using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using WorkerPool.Config;
using WorkerPool.Diagnostics;

namespace WorkerPool.Capture;

/// <summary>Connection state of a camera.</summary>
public enum CameraState
{
    /// <summary>Opening the source for the first time.</summary>
    Connecting,
    /// <summary>Delivering frames.</summary>
    Connected,
    /// <summary>Lost; waiting to try again (see the last error).</summary>
    Reconnecting,
    /// <summary>A file without <c>loop</c> reached its end.</summary>
    Ended,
    /// <summary>Stopped by the service.</summary>
    Stopped,
}

/// <summary>What a dashboard shows for one camera.</summary>
public sealed record CameraStatus(string Id, CameraState State, string? LastError, long FramesRead, long FramesAdmitted,
    long FramesSkipped, long FramesLost, double MeasuredFps, int Width, int Height)
{
    /// <summary>Frames inference ran on (see <see cref="DetectionTally"/>).</summary>
    public long FramesProcessed { get; init; }

    /// <summary>Capture time of the last frame with a person in it; null when none yet.</summary>
    public DateTimeOffset? LastDetectionAt { get; init; }

    /// <summary>Seconds the picture had not changed at the latest check (see <see cref="PictureCheck"/>); null before two checks of this connection.</summary>
    public double? FrozenSeconds { get; init; }

    /// <summary>Whether the latest check found a near-uniform picture; null before the first check of this connection.</summary>
    public bool? PictureUniform { get; init; }
}

/// <summary>
/// Reads one camera on its own thread, stamps each frame (camera, sequence, capture time) and offers it to the
/// camera's frame gate. A source that fails is reopened with capped exponential backoff and jitter, forever;
/// one dead camera never stops the others.
/// </summary>
public sealed class CameraReader : IAsyncDisposable
{
    private readonly CameraOptions _camera;
    private readonly CameraUri _uri;
    private readonly IFrameSourceFactory _factory;
    private readonly FramePool _frames;
    private readonly IFrameGate _gate;
    private readonly MediaTimeline _timeline;
    private readonly bool _realtime;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _reconnect;
    private readonly CancellationTokenSource _stop = new();
    private readonly PictureCheck _picture;
    private Task? _task;
    private long _sequence, _read, _lost;
    private int _width, _height;
    private OpenCvSharp.Mat? _scratch;
    private TaskCompletionSource<OpenCvSharp.Mat>? _snapshot;
    private volatile string? _lastError;
    private volatile CameraState _state = CameraState.Connecting;
    private readonly double[] _recent = new double[32];
    private int _recentCount, _recentNext;

    /// <summary>Creates a reader; <see cref="Start"/> begins reading.</summary>
    /// <param name="timeline">The camera's media clock, shared by every reader the camera gets (restarts, new URLs).</param>
    /// <param name="realtime">Play files at their own frame rate, like a live camera (run mode); false reads as fast as the gate takes frames (replay).</param>
    public CameraReader(CameraOptions camera, CameraUri uri, IFrameSourceFactory factory, FramePool frames, IFrameGate gate,
        MediaTimeline timeline, bool realtime, TimeProvider time, ILogger logger)
    {
        _camera = camera;
        _uri = uri;
        _factory = factory;
        _frames = frames;
        _gate = gate;
        _timeline = timeline;
        _realtime = realtime;
        _time = time;
        _logger = logger;
        _picture = new PictureCheck(time);
        _reconnect = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(1),
                MaxDelay = TimeSpan.FromSeconds(30),
                MaxRetryAttempts = int.MaxValue,
                OnRetry = args =>
                {
                    _state = CameraState.Reconnecting;
                    _lastError = args.Outcome.Exception?.Message;
                    Log.CameraFailed(_logger, _camera.Id, _lastError ?? "unknown error");
                    return default;
                },
            })
            .Build();
    }

    /// <summary>Camera id.</summary>
    public string Id => _camera.Id;

    /// <summary>Completes when the reader stops (file end without loop, or <see cref="DisposeAsync"/>).</summary>
    public Task Completion => _task ?? Task.CompletedTask;

    /// <summary>Starts the reading thread; a reader starts once (two threads would feed one gate and break its admit order).</summary>
    public void Start()
    {
        if (_task is not null) throw new InvalidOperationException($"camera {_camera.Id}: the reader was already started");
        _task = Task.Factory.StartNew(Run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>A copy of the next frame this camera reads (the caller disposes it); cancelled when none comes in time.</summary>
    public async Task<OpenCvSharp.Mat> NextFrameAsync(TimeSpan timeout)
    {
        var request = new TaskCompletionSource<OpenCvSharp.Mat>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _snapshot, request);
        try { return await request.Task.WaitAsync(timeout).ConfigureAwait(false); }
        finally { Interlocked.CompareExchange(ref _snapshot, null, request); }
    }

    /// <summary>Current state, counters and measured frame rate.</summary>
    public CameraStatus Status()
    {
        double fps;
        lock (_recent)
        {
            int n = _recentCount;
            fps = n < 2 ? 0 : (n - 1) / Math.Max(1e-6, _recent[(_recentNext - 1 + _recent.Length) % _recent.Length] - _recent[(_recentNext - n + _recent.Length) % _recent.Length]);
        }
        return new CameraStatus(_camera.Id, _state, _lastError, Interlocked.Read(ref _read), _gate.Admitted, _gate.Skipped,
            Interlocked.Read(ref _lost), Math.Round(fps, 2), _width, _height)
        {
            FramesProcessed = _frames.Detections.Processed, LastDetectionAt = _frames.Detections.LastDetectionAt,
            FrozenSeconds = _picture.FrozenSeconds, PictureUniform = _picture.Uniform,
        };
    }

    private void Run()
    {
        var token = _stop.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                bool ended = _reconnect.Execute(ReadSession, token);
                if (ended)
                {
                    _state = CameraState.Ended;
                    return;
                }
                // A session that delivered frames and then broke reconnects at once; the pipeline's attempts reset.
                _state = CameraState.Reconnecting;
                Log.CameraFailed(_logger, _camera.Id, _lastError ?? "stream ended");
            }
        }
        catch (OperationCanceledException) { }
        finally
        {
            if (_state != CameraState.Ended) _state = CameraState.Stopped;
        }
    }

    /// <summary>One connection: returns true at the end of a file, false when a live session broke after frames; throws when it never delivered.</summary>
    private bool ReadSession(CancellationToken token)
    {
        using var source = _factory.Open(_uri, _camera);
        _width = source.Width;
        _height = source.Height;
        // The source counts from 0 again; the camera's timeline goes on from where the last session left it.
        _timeline.BeginSession(source.Fps > 0 ? 1 / source.Fps : 0.04, _realtime);
        _picture.Restart();
        long delivered = 0;
        long playStart = _time.GetTimestamp();
        double loopOffset = 0;
        Frame? frame = null;
        try
        {
            while (true)
            {
                token.ThrowIfCancellationRequested();
                frame ??= _frames.Rent();
                if (frame is null)
                {
                    // Every buffer is downstream (the pool is far behind): read this frame into scratch and drop it,
                    // so a live source keeps flowing, and count it.
                    _scratch ??= new OpenCvSharp.Mat();
                    if (!source.Read(_scratch)) { Thread.Sleep(5); continue; }
                    Interlocked.Increment(ref _lost);
                    _sequence++;
                    continue;
                }
                bool ok;
                try { ok = source.Read(frame.Image); }
                catch (Exception ex) when (delivered > 0 && ex is not OperationCanceledException)
                {
                    _lastError = ex.Message;
                    return false;
                }
                if (!ok)
                {
                    if (!source.CanRewind)
                    {
                        if (delivered == 0) throw new IOException("stream ended before its first frame");
                        _lastError = "stream ended";
                        return false;
                    }
                    if (!_camera.Loop || delivered == 0)
                    {
                        if (delivered == 0) throw new IOException("video has no decodable frame");
                        Log.CameraEnded(_logger, _camera.Id, delivered);
                        return true;
                    }
                    loopOffset += source.PositionSeconds + 1 / source.Fps;
                    source.Rewind();
                    Log.CameraLooped(_logger, _camera.Id);
                    continue;
                }
                if (delivered++ == 0)
                {
                    _state = CameraState.Connected;
                    _lastError = null;
                    Log.CameraConnected(_logger, _camera.Id, _uri.Kind.ToString(), frame.Image.Width, frame.Image.Height);
                }
                double media = loopOffset + source.PositionSeconds; // seconds into this session
                if (_realtime && source.CanRewind) Pace(playStart, media, token);
                // Only on request, once: no per-frame copy.
                if (Volatile.Read(ref _snapshot) is { } wanted && Interlocked.CompareExchange(ref _snapshot, null, wanted) == wanted)
                    wanted.TrySetResult(frame.Image.Clone());
                _picture.Observe(frame.Image); // about once a second; returns at once otherwise
                frame.Sequence = _sequence++;
                frame.CaptureTime = _time.GetUtcNow();
                frame.MediaSeconds = _timeline.Stamp(media);
                Interlocked.Increment(ref _read);
                NoteFrameTime(_time.GetElapsedTime(playStart).TotalSeconds);
                if (_gate.Offer(frame, token)) frame = null; // the queue owns it now
            }
        }
        finally
        {
            frame?.Release();
        }
    }

    private void Pace(long playStart, double mediaSeconds, CancellationToken token)
    {
        var due = TimeSpan.FromSeconds(mediaSeconds) - _time.GetElapsedTime(playStart);
        if (due > TimeSpan.Zero) token.WaitHandle.WaitOne(due);
    }

    private void NoteFrameTime(double seconds)
    {
        lock (_recent)
        {
            _recent[_recentNext] = seconds;
            _recentNext = (_recentNext + 1) % _recent.Length;
            _recentCount = Math.Min(_recentCount + 1, _recent.Length);
        }
    }

    /// <summary>Stops reading and waits for the thread.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_task is not null) await Task.WhenAny(_task, Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
        _stop.Dispose();
        _scratch?.Dispose();
    }
}
