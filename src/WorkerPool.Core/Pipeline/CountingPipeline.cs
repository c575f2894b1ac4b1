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
/// The whole one-way flow for a config: camera readers → frame gates → bounded queue → inference pool →
/// results channel → per-camera counters → count sink. Start loads every model; dispose stops capture, lets the
/// pool finish what it holds, and closes the open windows.
/// </summary>
internal sealed class CountingPipeline : IAsyncDisposable
{
    private readonly DeviceConfig _config;
    private readonly ICountSink _sink;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly FrameQueue _queue;
    private InferencePool _pool;
    private readonly TimeProvider _timeForPool;
    private readonly ILogger _poolLogger;
    private readonly Channel<InferenceResult> _results = Channel.CreateUnbounded<InferenceResult>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Dictionary<string, CameraCounter> _counters = new(StringComparer.Ordinal);
    private readonly List<CameraReader> _readers = [];
    private readonly Dictionary<string, Func<CameraOptions, CameraUri, CameraReader>> _newReader = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (CameraOptions Camera, CameraUri Uri)> _sources = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _restart = new(1, 1);
    private readonly List<FramePool> _framePools = [];
    private readonly Dictionary<string, FrameGate> _gates = new(StringComparer.Ordinal);
    private Task? _consumer;
    private ITimer? _ticker;
    private int _disposed;
    private volatile bool _started;

    /// <summary>Builds the pipeline (nothing runs until <see cref="Start"/>).</summary>
    /// <param name="cameras">The cameras to run, each with the URL to read (replay substitutes its video).</param>
    public CountingPipeline(DeviceConfig config, IReadOnlyList<(CameraOptions Camera, CameraUri Uri)> cameras, IDetectorFactory detectors,
        IFrameSourceFactory sources, ICountSink sink, PipelineMode mode, TimeProvider time, ILoggerFactory loggers)
    {
        _config = config;
        _sink = sink;
        _time = time;
        _logger = loggers.CreateLogger("WorkerPool.Pipeline");
        Mode = mode;
        _queue = new FrameQueue(config.Pool.QueuePerCamera, dropOldest: mode == PipelineMode.Live, OnDropped);
        _timeForPool = time;
        _poolLogger = loggers.CreateLogger("WorkerPool.Inference");
        _pool = new InferencePool(config.Pool, detectors, _queue, r => _results.Writer.TryWrite(r), time, _poolLogger);
        var captureLogger = loggers.CreateLogger("WorkerPool.Capture");
        foreach (var (camera, uri) in cameras)
        {
            _counters[camera.Id] = new CameraCounter(config.DeviceId, camera, config.Tracker, config.Counting, WriteRecord);
            var frames = new FramePool(camera.Id, config.Pool.QueuePerCamera + config.Pool.Workers.Count + 2);
            _framePools.Add(frames);
            var gate = new FrameGate(camera.Id, camera.Fps, _queue);
            _gates[camera.Id] = gate;
            var timeline = new MediaTimeline(time);
            _newReader[camera.Id] = (c, u) => new CameraReader(c, u, sources, frames, gate, timeline, realtime: mode == PipelineMode.Live, time, captureLogger);
            _sources[camera.Id] = (camera, uri);
            _readers.Add(_newReader[camera.Id](camera, uri));
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
    public IReadOnlyList<CameraStatus> CameraStatus()
    {
        lock (_readers) return _readers.Select(r => r.Status()).ToArray();
    }

    /// <summary>Completes when every camera reader has stopped (replay: the video ended).</summary>
    public Task CamerasCompletion
    {
        get { lock (_readers) return Task.WhenAll(_readers.Select(r => r.Completion).ToArray()); }
    }

    /// <summary>
    /// Stops one camera's reader and starts a fresh one, with new source settings when given (a remote config or
    /// command); the other cameras, the pool and the camera's counting are not touched.
    /// </summary>
    /// <returns>False when there is no such camera.</returns>
    public async Task<bool> RestartCameraAsync(string cameraId, CameraOptions? camera = null, CameraUri? uri = null)
    {
        if (!_newReader.TryGetValue(cameraId, out var create)) return false;
        await _restart.WaitAsync().ConfigureAwait(false);
        try
        {
            if (camera is not null && uri is not null)
            {
                _sources[cameraId] = (camera, uri);
                _gates[cameraId].Fps = camera.Fps;
            }
            int index = _readers.FindIndex(r => r.Id == cameraId);
            await _readers[index].DisposeAsync().ConfigureAwait(false);
            var (options, source) = _sources[cameraId];
            var fresh = create(options, source);
            lock (_readers) _readers[index] = fresh;
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
        _pool = new InferencePool(options, detectors, _queue, r => _results.Writer.TryWrite(r), _timeForPool, _poolLogger);
        _pool.Start(LoadTimeout(options));
    }

    /// <summary>
    /// The camera's next frame with its lines, zones and current tracks drawn, as a JPEG of at most
    /// <paramref name="maxBytes"/>. Null when the camera has no such id or delivers no frame within the timeout.
    /// </summary>
    public async Task<SnapshotImage?> SnapshotAsync(string cameraId, int maxBytes, TimeSpan timeout)
    {
        CameraReader? reader;
        lock (_readers) reader = _readers.FirstOrDefault(r => r.Id == cameraId);
        if (reader is null || !_counters.TryGetValue(cameraId, out var counter)) return null;
        OpenCvSharp.Mat image;
        try { image = await reader.NextFrameAsync(timeout).ConfigureAwait(false); }
        catch (TimeoutException) { return null; }
        using (image)
        {
            FrameAnnotator.Draw(image, _sources[cameraId].Camera, counter.Totals(), counter.CurrentTracks());
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
        var cameras = CameraStatus().Select(c => new CameraView(c, _gates.TryGetValue(c.Id, out var gate) ? gate.Fps : 0,
            _counters.TryGetValue(c.Id, out var counter) ? counter.Totals() : CountTotals.None)).ToArray();
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
        _consumer = Task.Run(ConsumeAsync);
        if (Mode == PipelineMode.Live)
            _ticker = _time.CreateTimer(_ => Tick(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        foreach (var reader in _readers) reader.Start();
        _started = true;
    }

    /// <summary>Closes windows whose end the clock has passed (a camera with no frames still reports).</summary>
    public void Tick()
    {
        var now = _time.GetUtcNow();
        foreach (var counter in _counters.Values) counter.Tick(now, TimeSpan.FromSeconds(2));
    }

    private async Task ConsumeAsync()
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
            try
            {
                if (_counters.TryGetValue(result.CameraId, out var counter)) counter.Accept(result);
                else result.Return();
            }
            catch (Exception ex)
            {
                // A bug in one camera's counting must not stop the others.
                Log.CountingFailed(_logger, ex, result.CameraId);
            }
        }
    }

    private void OnDropped(Frame frame)
    {
        Log.FrameDropped(_logger, frame.CameraId, frame.Sequence);
        _results.Writer.TryWrite(InferenceResult.Rent(frame, FrameOutcome.Dropped));
        frame.Release();
    }

    private void WriteRecord(CountRecord record)
    {
        try { _sink.Write(record); }
        catch (Exception ex) { Log.SinkFailed(_logger, ex, record.CameraId); }
    }

    /// <summary>Stops capture, lets the pool finish the queued frames, counts them, and closes every open window.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var reader in _readers) await reader.DisposeAsync().ConfigureAwait(false);
        await _pool.DisposeAsync().ConfigureAwait(false);
        foreach (var frame in _queue.DrainAll()) OnDropped(frame);
        _results.Writer.TryComplete();
        if (_consumer is not null) await _consumer.ConfigureAwait(false);
        if (_ticker is not null) await _ticker.DisposeAsync().ConfigureAwait(false);
        foreach (var counter in _counters.Values) counter.Flush();
        foreach (var frames in _framePools) frames.Dispose();
        _restart.Dispose();
    }
}
