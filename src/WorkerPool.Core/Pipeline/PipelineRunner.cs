using Microsoft.Extensions.Logging;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Inference;

namespace WorkerPool.Pipeline;

/// <summary>
/// Owns the running <see cref="CountingPipeline"/> and every change to it: start, a new config (applied in place
/// where it can be), a camera restart, sampling rates, snapshots and stop. Not thread-safe: the control surface
/// calls it one request at a time.
/// </summary>
internal sealed class PipelineRunner(DeviceConfig config, PipelineSetup setup, TimeProvider time, ILoggerFactory loggers) : IAsyncDisposable
{
    private CountingPipeline? _pipeline;
    private DetectionThresholds? _thresholds;

    /// <summary>The config the pipeline runs with.</summary>
    public DeviceConfig Config { get; private set; } = config;

    /// <summary>The pipeline now (not running before <see cref="Start"/>).</summary>
    public PipelineStatus Status(bool reconfiguring) =>
        _pipeline is { } running ? running.Status(reconfiguring) : PipelineStatus.None with { Reconfiguring = reconfiguring };

    /// <summary>Completes when every camera reader has stopped (replay: the video ended).</summary>
    public Task CamerasCompletion => _pipeline?.CamerasCompletion ?? Task.CompletedTask;

    /// <summary>Builds the pipeline for the config, loads its models (throws if a worker cannot) and starts the cameras.</summary>
    public void Start()
    {
        if (_pipeline is not null) throw new InvalidOperationException("the pipeline was already started");
        _pipeline = Build(Config);
        _pipeline.Start();
    }

    /// <summary>
    /// Applies a validated config, touching as little as it can: detection thresholds, tracker settings, lines,
    /// zones and window settings take effect at the next frame (moved lines keep the open window; other changes
    /// close and store it first); a camera whose source settings changed restarts alone; a worker or model change
    /// replaces the inference pool while the cameras keep running. Added or removed cameras, or a new queue size,
    /// rebuild the pipeline (open windows are stored first, so no count is lost). Outbox, MQTT, status-LED and
    /// health-file settings are read at start only: a change to them is refused with an error. Security (the fleet
    /// keys of a rotation, checked by the remote-config side) does not touch the pipeline. If what the
    /// config asks for cannot start, the previous config runs again and the error is returned.
    /// </summary>
    public async Task<IReadOnlyList<ConfigError>> ApplyAsync(DeviceConfig next)
    {
        var current = Config;
        if (StartOnlyChanges(current, next) is { Count: > 0 } refused) return refused;
        try
        {
            if (_pipeline is not null && SameCamerasAndQueue(current, next))
            {
                // Scoped: a new pool only when workers or the model changed; counting, tracker and threshold
                // settings go to the counters and workers in place; a camera whose source changed restarts alone.
                if (!ConfigEquality.SamePool(current.Pool, next.Pool) || current.Model.Manifest != next.Model.Manifest || current.Model.Path != next.Model.Path)
                {
                    await _pipeline.ReplacePoolAsync(next.Pool, Detectors(next)).ConfigureAwait(false);
                }
                var before = current.Cameras.Where(c => c.Enabled).ToDictionary(c => c.Id);
                foreach (var (camera, uri) in CamerasFor(next))
                {
                    _pipeline.Counters[camera.Id].Reconfigure(camera, next.Counting, next.Tracker);
                    if (!ConfigEquality.SameSource(before[camera.Id], camera))
                        await _pipeline.RestartCameraAsync(camera.Id, camera, uri).ConfigureAwait(false);
                }
                if (_thresholds is not null)
                {
                    _thresholds.MinScore = (float)next.Model.ScoreThreshold;
                    _thresholds.Nms = (float)next.Model.NmsThreshold;
                }
                Config = next;
                return [];
            }
            await StopAsync().ConfigureAwait(false);
            _pipeline = Build(next);
            _pipeline.Start();
            Config = next;
            return [];
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or ConfigException or IOException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            // Could not start what the new config asks for (e.g. a model that will not load): go back to the old one.
            await StopAsync().ConfigureAwait(false);
            _pipeline = Build(current);
            _pipeline.Start();
            return [new ConfigError("config", "could not be applied, the previous config runs again: " + ex.Message)];
        }
    }

    /// <summary>Restarts one camera's reader with its current settings; false when there is no such camera.</summary>
    public Task<bool> RestartCameraAsync(string cameraId) =>
        _pipeline is { } running ? running.RestartCameraAsync(cameraId) : Task.FromResult(false);

    /// <summary>The camera's next frame, annotated, as a JPEG; null when unknown or not delivering in time.</summary>
    public Task<SnapshotImage?> SnapshotAsync(string cameraId, int maxBytes, TimeSpan timeout) =>
        _pipeline is { } running ? running.SnapshotAsync(cameraId, maxBytes, timeout) : Task.FromResult<SnapshotImage?>(null);

    /// <summary>Sets the cameras' sampling rates into inference.</summary>
    public void SetSampling(IReadOnlyDictionary<string, double> fpsByCamera) => _pipeline?.SetSampling(fpsByCamera);

    /// <summary>
    /// Stops the pipeline: capture ends, queued frames are counted, open windows are stored. Returns what it
    /// counted to the end (replay's summary), not running.
    /// </summary>
    public async Task<PipelineStatus> StopAsync()
    {
        var running = _pipeline;
        _pipeline = null;
        if (running is null) return PipelineStatus.None;
        await running.DisposeAsync().ConfigureAwait(false);
        return running.Status(reconfiguring: false);
    }

    /// <summary>The cameras to run for a config: the setup's (replay's video), or the config's enabled ones.</summary>
    private IReadOnlyList<(CameraOptions Camera, CameraUri Uri)> CamerasFor(DeviceConfig c) => setup.Cameras?.Invoke(c) ?? CountingPipeline.CamerasOf(c);

    private IDetectorFactory Detectors(DeviceConfig c)
    {
        if (setup.Detectors is { } given) return given(c);
        var factory = new OnnxDetectorFactory(ModelInspector.Resolve(c), c, loggers.CreateLogger("WorkerPool.Inference"));
        _thresholds = factory.Thresholds;
        return factory;
    }

    private CountingPipeline Build(DeviceConfig c) =>
        new(c, CamerasFor(c), Detectors(c), setup.Sources, setup.Sink, setup.Mode, time, loggers, setup.Observer);

    /// <summary>Sections read at start only, with the error for each that changed.</summary>
    private static List<ConfigError> StartOnlyChanges(DeviceConfig current, DeviceConfig next)
    {
        var refused = new List<ConfigError>();
        const string AtStart = "is read at start only: change it in the device-config file and restart";
        if (!ConfigEquality.SameOutbox(current.Outbox, next.Outbox)) refused.Add(new("config.outbox", AtStart));
        // The connection settings are the remote config's to move (test connection first, then the session); the rest is read at start.
        if (!ConfigEquality.SameMqttAtStart(current.Mqtt, next.Mqtt)) refused.Add(new("config.mqtt", AtStart));
        if (!ConfigEquality.SameStatusLed(current.StatusLed, next.StatusLed)) refused.Add(new("config.statusLed", AtStart));
        if (current.Health.File != next.Health.File) refused.Add(new("config.health.file", AtStart));
        return refused;
    }

    /// <summary>True when the same cameras run (same ids, same order) with the same queue: everything else can change in place.</summary>
    private static bool SameCamerasAndQueue(DeviceConfig a, DeviceConfig b)
    {
        static string[] Ids(DeviceConfig c) => [.. c.Cameras.Where(x => x.Enabled).Select(x => x.Id)];
        return Ids(a).SequenceEqual(Ids(b)) && a.Pool.QueuePerCamera == b.Pool.QueuePerCamera && a.DeviceId == b.DeviceId;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}
