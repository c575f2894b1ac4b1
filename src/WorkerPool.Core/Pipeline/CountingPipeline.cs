using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Counting;
using WorkerPool.Diagnostics;
using WorkerPool.Gate;
using WorkerPool.Inference;

namespace WorkerPool.Pipeline;

/// <summary>How cameras feed the pool.</summary>
public enum PipelineMode
{
    /// <summary>The service: files play at their own rate, the queue drops the oldest frame when the pool is behind.</summary>
    Live,
    /// <summary>Replay: files are read as fast as the pool takes frames, nothing is dropped.</summary>
    Replay,
}

/// <summary>
/// The whole one-way flow for a config, wired here and only here. Start loads every model; dispose stops capture,
/// lets the pool finish what it holds, and closes the open windows.
/// </summary>
/// <remarks>
/// <para>The stages, and what joins them (each stage writes to the next; none calls back into this class):</para>
/// <code>
/// CameraReader ─Offer─► FrameGate ─► FrameQueue ─────────────► InferencePool workers
///  (1 per camera)       (sampling,   (bounded per camera;        │ Channel&lt;InferenceResult&gt; (unbounded)
///                        admit no.)   live drops the oldest)     ▼
///                                    │ Channel&lt;DroppedFrame&gt; ──► CameraCounter (reorder, track, count)
///                                                                │ Channel&lt;CountOutput&gt; (unbounded): closed windows, checkpoints
///                                                                ▼
///                                                               ICountSink (one writer: this class's store loop)
/// </code>
/// <para>The queue is the one bound: it is where the pool falls behind, and each frame it drops is answered on the
/// drops channel and counted as <c>framesDropped</c>. Downstream of it nothing holds a frame, so the other channels
/// carry small messages and need no bound (counting is far faster than inference; records are one a window).</para>
/// <para>Who releases a frame (hands it back to its camera's <see cref="FramePool"/>):</para>
/// <list type="bullet">
/// <item>the <see cref="CameraReader"/> rents it and releases it unless the gate takes it;</item>
/// <item>the <see cref="FrameQueue"/> owns what it holds, and releases each frame it drops (overflow, or still
/// waiting at dispose), after writing its <see cref="DroppedFrame"/>;</item>
/// <item>an <see cref="InferencePool"/> worker owns the frame it took, and releases it once inference returns, before
/// it writes the result; a worker that hangs has its frame written off instead, and failed;</item>
/// <item>nothing after the pool sees a frame: results and drops carry its stamps only.</item>
/// </list>
/// </remarks>
internal sealed class CountingPipeline : IAsyncDisposable
{
    private readonly DeviceConfig _config;
    private readonly IFrameSourceFactory _sources;
    private readonly ICountSink _sink;
    private readonly TimeProvider _time;
    private readonly ILogger _logger, _poolLogger, _captureLogger, _countingLogger;
    private readonly Channel<DroppedFrame> _drops = Channel.CreateUnbounded<DroppedFrame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<InferenceResult> _results = Channel.CreateUnbounded<InferenceResult>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Channel<CountOutput> _records = Channel.CreateUnbounded<CountOutput>(new UnboundedChannelOptions { SingleReader = true });
    private readonly FrameQueue _queue;
    private InferencePool _pool;
    private readonly CameraLane[] _lanes;
    private readonly Dictionary<string, CameraLane> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CameraCounter> _counters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FrameGate> _gates = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _restart = new(1, 1);
    private Task _countResults = Task.CompletedTask, _countDrops = Task.CompletedTask, _store = Task.CompletedTask;
    private ITimer? _ticker;
    private int _disposed;
    private volatile bool _started;

    /// <summary>Builds the pipeline (nothing runs until <see cref="Start"/>).</summary>
    /// <param name="cameras">The cameras to run, each with the URL to read (replay substitutes its video).</param>
    /// <param name="observer">Sees every counted frame of every camera (replay's --frames-out and --annotate), if given.</param>
    public CountingPipeline(DeviceConfig config, IReadOnlyList<(CameraOptions Camera, CameraUri Uri)> cameras, IDetectorFactory detectors,
        IFrameSourceFactory sources, ICountSink sink, PipelineMode mode, TimeProvider time, ILoggerFactory loggers, IFrameObserver? observer = null)
    {
        _config = config;
        _sources = sources;
        _sink = sink;
        _time = time;
        _logger = loggers.CreateLogger("WorkerPool.Pipeline");
        _poolLogger = loggers.CreateLogger("WorkerPool.Inference");
        _captureLogger = loggers.CreateLogger("WorkerPool.Capture");
        _countingLogger = loggers.CreateLogger(LogCategories.Counting);
        Mode = mode;
        _queue = new FrameQueue(config.Pool.QueuePerCamera, dropOldest: mode == PipelineMode.Live, _drops.Writer);
        _pool = new InferencePool(config.Pool, detectors, _queue, _results.Writer, time, _poolLogger);
        _lanes = new CameraLane[cameras.Count];
        for (int i = 0; i < cameras.Count; i++)
        {
            var (camera, uri) = cameras[i];
            var counter = new CameraCounter(config.DeviceId, camera, config.Tracker, config.Counting, _records.Writer, _countingLogger) { Observer = observer };
            var frames = new FramePool(camera.Id, config.Pool.QueuePerCamera + config.Pool.Workers.Count + 2);
            var lane = new CameraLane(camera, uri, frames, new FrameGate(camera.Id, camera.Fps, _queue), new MediaTimeline(time), counter);
            lane.Reader = NewReader(lane);
            _lanes[i] = lane;
            _byId[camera.Id] = lane;
            _counters[camera.Id] = counter;
            _gates[camera.Id] = lane.Gate;
        }
    }

    /// <summary>The enabled cameras of a config with their parsed URLs (file paths resolved against the config's folder).</summary>
    public static List<(CameraOptions Camera, CameraUri Uri)> CamerasOf(DeviceConfig config)
    {
        var list = new List<(CameraOptions, CameraUri)>();
        foreach (var camera in config.Cameras.Where(c => c.Enabled))
        {
            if (!CameraUri.TryParse(camera.Url, out var uri, out var error)) throw new ConfigException([new ConfigError($"cameras[{camera.Id}].url", error!)]);
            list.Add((camera, uri!.Kind == SourceKind.File ? uri with { Location = config.ResolvePath(uri.Location) } : uri));
        }
        return list;
    }

    /// <summary>Live or replay.</summary>
    public PipelineMode Mode { get; }

    /// <summary>Per-camera counters (totals since start).</summary>
    public IReadOnlyDictionary<string, CameraCounter> Counters => _counters;

    /// <summary>Per-camera frame gates (their fps can be lowered at run time).</summary>
    public IReadOnlyDictionary<string, FrameGate> Gates => _gates;

    /// <summary>The inference pool.</summary>
    public InferencePool Pool => _pool;

    /// <summary>Camera states.</summary>
    public IReadOnlyList<CameraStatus> CameraStatus() => _lanes.Select(l => l.Reader.Status()).ToArray();

    /// <summary>Completes when every camera reader has stopped (replay: the video ended).</summary>
    public Task CamerasCompletion => Task.WhenAll(_lanes.Select(l => l.Reader.Completion).ToArray());

    /// <summary>
    /// Stops one camera's reader and starts a fresh one, with new source settings when given (a remote config or
    /// command); the other cameras, the pool and the camera's counting are not touched.
    /// </summary>
    /// <returns>False when there is no such camera.</returns>
    public async Task<bool> RestartCameraAsync(string cameraId, CameraOptions? camera = null, CameraUri? uri = null)
    {
        if (!_byId.TryGetValue(cameraId, out var lane)) return false;
        await _restart.WaitAsync().ConfigureAwait(false);
        try
        {
            if (camera is not null && uri is not null)
            {
                lane.Camera = camera;
                lane.Uri = uri;
                lane.Gate.Fps = camera.Fps;
            }
            await lane.Reader.DisposeAsync().ConfigureAwait(false);
            var fresh = NewReader(lane);
            lane.Reader = fresh;
            fresh.Start();
            return true;
        }
        finally
        {
            _restart.Release();
        }
    }

    /// <summary>
    /// Replaces the inference pool (new workers, devices or model) while cameras keep running: the old workers
    /// finish the frames they hold, the queue keeps what waits (dropping the oldest, counted, while the new models
    /// load), and counting goes on. Throws when the new pool cannot load its models; then the old one is gone too,
    /// and the caller rebuilds.
    /// </summary>
    public async Task ReplacePoolAsync(PoolOptions options, IDetectorFactory detectors)
    {
        var old = _pool;
        await old.HandOverAsync().ConfigureAwait(false);
        await old.DisposeAsync().ConfigureAwait(false);
        _pool = new InferencePool(options, detectors, _queue, _results.Writer, _time, _poolLogger);
        _pool.Start(LoadTimeout(options));
    }

    /// <summary>
    /// The camera's next frame with its lines, zones and current tracks drawn, as a JPEG of at most
    /// <paramref name="maxBytes"/>. Null when the camera has no such id or delivers no frame within the timeout.
    /// </summary>
    public async Task<SnapshotImage?> SnapshotAsync(string cameraId, int maxBytes, TimeSpan timeout)
    {
        if (!_byId.TryGetValue(cameraId, out var lane)) return null;
        OpenCvSharp.Mat image;
        try { image = await lane.Reader.NextFrameAsync(timeout).ConfigureAwait(false); }
        catch (TimeoutException) { return null; }
        using (image)
        {
            FrameAnnotator.Draw(image, lane.Camera, lane.Counter.Totals(), lane.Counter.CurrentTracks());
            return SnapshotEncoder.Encode(image, maxBytes);
        }
    }

    /// <summary>Sets the sampling rate of the named cameras' gates (thermal throttling); unknown ids are skipped.</summary>
    public void SetSampling(IReadOnlyDictionary<string, double> fpsByCamera)
    {
        foreach (var (id, fps) in fpsByCamera)
            if (_gates.TryGetValue(id, out var gate) && gate.Fps != fps) gate.Fps = fps;
    }

    /// <summary>The pipeline now, as immutable data.</summary>
    public PipelineStatus Status(bool reconfiguring)
    {
        var cameras = _lanes.Select(l => new CameraView(l.Reader.Status(), l.Gate.Fps, l.Counter.Totals())).ToArray();
        return new PipelineStatus(_started && Volatile.Read(ref _disposed) == 0, reconfiguring, cameras, _pool.Status(), _pool.QueueDepth);
    }

    /// <summary>
    /// How long the workers may take to load their models: two minutes, or fifteen when a worker uses TensorRT,
    /// whose first start with a model builds an engine for minutes (the unit's TimeoutStartSec allows as much).
    /// </summary>
    private static TimeSpan LoadTimeout(PoolOptions pool) =>
        pool.Workers.Any(w => ExecutionDevice.TryParse(w.Device, out var d) && d.Kind == DeviceKind.TensorRt) ? TimeSpan.FromMinutes(15) : TimeSpan.FromMinutes(2);

    /// <summary>Loads the models (throws if a worker cannot) and starts the cameras.</summary>
    public void Start()
    {
        _pool.Start(LoadTimeout(_config.Pool));
        _store = Task.Run(StoreRecordsAsync);
        _countDrops = Task.Run(CountDropsAsync);
        _countResults = Task.Run(CountResultsAsync);
        if (Mode == PipelineMode.Live)
            _ticker = _time.CreateTimer(_ => Tick(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        foreach (var lane in _lanes) lane.Reader.Start();
        _started = true;
    }

    /// <summary>Closes windows whose end the clock has passed (a camera with no frames still reports).</summary>
    public void Tick()
    {
        var now = _time.GetUtcNow();
        foreach (var lane in _lanes) lane.Counter.Tick(now, TimeSpan.FromSeconds(2));
    }

    private CameraReader NewReader(CameraLane lane) =>
        new(lane.Camera, lane.Uri, _sources, lane.Frames, lane.Gate, lane.Timeline, realtime: Mode == PipelineMode.Live, _time, _captureLogger);

    private async Task CountResultsAsync()
    {
        bool first = true;
        await foreach (var result in _results.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (first && result.Outcome == FrameOutcome.Processed)
            {
                // Start-up time as an operator sees it (and docs/BENCHMARKS.md measures it): process start to first counted frame.
                first = false;
                using var self = System.Diagnostics.Process.GetCurrentProcess();
                Log.FirstFrame(_logger, result.CameraId, (_time.GetUtcNow().UtcDateTime - self.StartTime.ToUniversalTime()).TotalMilliseconds);
            }
            string cameraId = result.CameraId; // the counter may hand the result back to its pool at once
            try
            {
                if (_counters.TryGetValue(cameraId, out var counter)) counter.Accept(result);
                else result.Return();
            }
            catch (Exception ex)
            {
                // A bug in one camera's counting must not stop the others.
                Log.CountingFailed(_logger, ex, cameraId);
            }
        }
    }

    private async Task CountDropsAsync()
    {
        await foreach (var dropped in _drops.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            Log.FrameDropped(_logger, dropped.CameraId, dropped.Sequence);
            try
            {
                if (_counters.TryGetValue(dropped.CameraId, out var counter)) counter.Accept(dropped);
            }
            catch (Exception ex)
            {
                Log.CountingFailed(_logger, ex, dropped.CameraId);
            }
        }
    }

    // The sink's only writer: records from frames, the clock and reconfiguration are stored one at a time, in order,
    // and checkpoints in between. Checkpoints that arrive together (every camera's, from one tick) are kept in one go:
    // one transaction, one fsync.
    private async Task StoreRecordsAsync()
    {
        var reader = _records.Reader;
        var checkpoints = new List<CountRecord>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var output))
            {
                if (output.IsCheckpoint)
                {
                    checkpoints.Add(output.Record);
                    continue;
                }
                StoreCheckpoints(checkpoints);
                try { _sink.Write(output.Record); }
                catch (Exception ex) { Log.SinkFailed(_logger, ex, output.Record.CameraId); }
            }
            StoreCheckpoints(checkpoints);
        }
    }

    private void StoreCheckpoints(List<CountRecord> checkpoints)
    {
        if (checkpoints.Count == 0) return;
        try { _sink.Checkpoint(checkpoints); }
        catch (Exception ex) { Log.SinkFailed(_logger, ex, checkpoints[0].CameraId); }
        checkpoints.Clear();
    }

    /// <summary>
    /// Stops capture, lets the pool finish the queued frames, counts them, closes every open window and waits until
    /// the sink has every record. Each channel is completed once all its writers have stopped.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var lane in _lanes) await lane.Reader.DisposeAsync().ConfigureAwait(false);
        await _pool.DisposeAsync().ConfigureAwait(false);
        _queue.DropAll(); // what no worker took (a pool that could not start, or a hung one): answered as dropped
        _results.Writer.TryComplete();
        _drops.Writer.TryComplete();
        await Task.WhenAll(_countResults, _countDrops).ConfigureAwait(false);
        if (_ticker is not null) await _ticker.DisposeAsync().ConfigureAwait(false);
        foreach (var lane in _lanes) lane.Counter.Flush();
        _records.Writer.TryComplete();
        await _store.ConfigureAwait(false);
        foreach (var lane in _lanes) lane.Frames.Dispose();
        _restart.Dispose();
    }

    /// <summary>One camera's own parts: what its reader is rebuilt from on a restart, and its counter.</summary>
    private sealed class CameraLane(CameraOptions camera, CameraUri uri, FramePool frames, FrameGate gate, MediaTimeline timeline, CameraCounter counter)
    {
        public CameraOptions Camera { get; set; } = camera;
        public CameraUri Uri { get; set; } = uri;
        public FramePool Frames { get; } = frames;
        public FrameGate Gate { get; } = gate;
        public MediaTimeline Timeline { get; } = timeline;
        public CameraCounter Counter { get; } = counter;

        // Swapped by a restart while status is read from other threads.
        private volatile CameraReader? _reader;
        public CameraReader Reader
        {
            get => _reader!;
            set => _reader = value;
        }
    }
}
