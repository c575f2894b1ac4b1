using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Inference;

namespace WorkerPool.Pipeline;

/// <summary>
/// Runs the counting pipeline inside the generic host: models are loaded in <see cref="StartAsync"/> (the
/// service is not ready before), <see cref="StopAsync"/> finishes queued frames and closes open windows, and
/// <see cref="ApplyAsync"/> takes a new config without restarting the process.
/// </summary>
public sealed class PipelineService(IOptions<DeviceConfig> options, ICountSink sink, TimeProvider time, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private DeviceConfig _config = options.Value;
    private CountingPipeline? _pipeline;
    private DetectionThresholds? _thresholds;

    /// <summary>The running pipeline (null before start), for health and telemetry.</summary>
    public CountingPipeline? Pipeline => _pipeline;

    /// <summary>True while a config is being applied (or the service stops): a pool being replaced legitimately finishes nothing for a while.</summary>
    public bool Applying => _gate.CurrentCount == 0;

    /// <summary>The config the pipeline runs with.</summary>
    public DeviceConfig Config => _config;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _pipeline = Build(_config);
        _pipeline.Start();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Applies a validated config, touching as little as it can: detection thresholds, tracker settings, lines,
    /// zones and window settings take effect at the next frame (moved lines keep the open window; other changes
    /// close and store it first); a camera whose source settings changed restarts alone; a worker or model change
    /// replaces the inference pool while the cameras keep running. Added or removed cameras, or a new queue size,
    /// rebuild the pipeline (open windows are stored first, so no count is lost). Outbox, MQTT, security, status-LED and health-file
    /// settings are read at start only: a change to them is refused with an error. If what the config asks for
    /// cannot start, the previous config runs again and the error is returned.
    /// </summary>
    public async Task<IReadOnlyList<ConfigError>> ApplyAsync(DeviceConfig next)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var current = _config;
            var refused = new List<ConfigError>();
            if (Json(current.Outbox) != Json(next.Outbox)) refused.Add(new("config.outbox", "is read at start only: change it in the device-config file and restart"));
            if (Json(current.Mqtt) != Json(next.Mqtt)) refused.Add(new("config.mqtt", "is read at start only: change it in the device-config file and restart"));
            if (Json(current.Security) != Json(next.Security)) refused.Add(new("config.security", "cannot be changed remotely"));
            if (Json(current.StatusLed) != Json(next.StatusLed)) refused.Add(new("config.statusLed", "is read at start only: change it in the device-config file and restart"));
            if (current.Health.File != next.Health.File) refused.Add(new("config.health.file", "is read at start only: change it in the device-config file and restart"));
            if (refused.Count > 0) return refused;

            try
            {
                if (_pipeline is not null && SameCamerasAndQueue(current, next))
                {
                    // Scoped: a new pool only when workers or the model changed; counting, tracker and threshold
                    // settings go to the counters and workers in place; a camera whose source changed restarts alone.
                    if (Json(current.Pool) != Json(next.Pool) || current.Model.Manifest != next.Model.Manifest || current.Model.Path != next.Model.Path)
                    {
                        var factory = Factory(next);
                        await _pipeline.ReplacePoolAsync(next.Pool, factory).ConfigureAwait(false);
                        _thresholds = factory.Thresholds;
                    }
                    var before = current.Cameras.Where(c => c.Enabled).ToDictionary(c => c.Id);
                    foreach (var (camera, uri) in CountingPipeline.CamerasOf(next))
                    {
                        _pipeline.Counters[camera.Id].Reconfigure(camera, next.Counting, next.Tracker);
                        if (Json(SourceOf(before[camera.Id])) != Json(SourceOf(camera)))
                            await _pipeline.RestartCameraAsync(camera.Id, camera, uri).ConfigureAwait(false);
                    }
                    _thresholds!.MinScore = (float)next.Model.ScoreThreshold;
                    _thresholds.Nms = (float)next.Model.NmsThreshold;
                    _config = next;
                    return [];
                }
                if (_pipeline is not null) await _pipeline.DisposeAsync().ConfigureAwait(false);
                _pipeline = Build(next);
                _pipeline.Start();
                _config = next;
                return [];
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or ConfigException or IOException or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
            {
                // Could not start what the new config asks for (e.g. a model that will not load): go back to the old one.
                if (_pipeline is not null) await _pipeline.DisposeAsync().ConfigureAwait(false);
                _pipeline = Build(current);
                _pipeline.Start();
                return [new ConfigError("config", "could not be applied, the previous config runs again: " + ex.Message)];
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private OnnxDetectorFactory Factory(DeviceConfig config) =>
        new(ModelInspector.Resolve(config), config, loggers.CreateLogger("WorkerPool.Inference"));

    private CountingPipeline Build(DeviceConfig config)
    {
        var detectors = Factory(config);
        _thresholds = detectors.Thresholds;
        return new CountingPipeline(config, CountingPipeline.CamerasOf(config), detectors, new FrameSourceFactory(time), sink, PipelineMode.Live, time, loggers);
    }

    /// <summary>True when the same cameras run (same ids, same order) with the same queue: everything else can change in place.</summary>
    private static bool SameCamerasAndQueue(DeviceConfig a, DeviceConfig b)
    {
        static string[] Ids(DeviceConfig c) => [.. c.Cameras.Where(x => x.Enabled).Select(x => x.Id)];
        return Ids(a).SequenceEqual(Ids(b)) && a.Pool.QueuePerCamera == b.Pool.QueuePerCamera && a.DeviceId == b.DeviceId;
    }

    /// <summary>A camera's source settings: everything but its lines and zones.</summary>
    private static CameraOptions SourceOf(CameraOptions camera)
    {
        return new CameraOptions
        {
            Id = camera.Id, Url = camera.Url, Enabled = camera.Enabled, Loop = camera.Loop, Fps = camera.Fps,
            Width = camera.Width, Height = camera.Height, StallTimeoutSeconds = camera.StallTimeoutSeconds,
        };
    }

    private static string Json<T>(T value) where T : class =>
        JsonSerializer.Serialize(value, (System.Text.Json.Serialization.Metadata.JsonTypeInfo<T>)ConfigJsonContext.Default.GetTypeInfo(typeof(T))!);

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_pipeline is not null) await _pipeline.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_pipeline is not null) await _pipeline.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }
}
