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
    /// close and store it first); a camera whose source settings changed restarts alone. Added or removed cameras,
    /// pool or model changes rebuild the pipeline (open windows are stored first, so no count is lost). Outbox, MQTT and
    /// security settings are read at start only: a change to them is refused with an error.
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
            if (refused.Count > 0) return refused;

            if (_pipeline is not null && OnlyCamerasOrCountingChanged(current, next))
            {
                // Scoped: counting settings go to each camera's counter; a camera whose source settings changed
                // restarts alone. The pool, the model and the other cameras are not touched.
                var sources = CountingPipeline.CamerasOf(next).ToDictionary(c => c.Camera.Id);
                var before = current.Cameras.Where(c => c.Enabled).ToDictionary(c => c.Id);
                foreach (var (id, (camera, uri)) in sources)
                {
                    _pipeline.Counters[id].Reconfigure(camera, next.Counting, next.Tracker);
                    if (Json(SourceOf(before[id])) != Json(SourceOf(camera)))
                        await _pipeline.RestartCameraAsync(id, camera, uri).ConfigureAwait(false);
                }
                _thresholds!.MinScore = (float)next.Model.ScoreThreshold;
                _thresholds.Nms = (float)next.Model.NmsThreshold;
                _config = next;
                return [];
            }
            if (_pipeline is not null) await _pipeline.DisposeAsync().ConfigureAwait(false);
            _config = next;
            _pipeline = Build(next);
            _pipeline.Start();
            return [];
        }
        finally
        {
            _gate.Release();
        }
    }

    private CountingPipeline Build(DeviceConfig config)
    {
        var model = ModelInspector.Resolve(config);
        var detectors = new OnnxDetectorFactory(model, (float)config.Model.ScoreThreshold, (float)config.Model.NmsThreshold, loggers.CreateLogger("WorkerPool.Inference"));
        _thresholds = detectors.Thresholds;
        return new CountingPipeline(config, CountingPipeline.CamerasOf(config), detectors, new FrameSourceFactory(time), sink, PipelineMode.Live, time, loggers);
    }

    /// <summary>True when the configs differ only in thresholds, tracker, counting settings and the settings of the same cameras.</summary>
    private static bool OnlyCamerasOrCountingChanged(DeviceConfig a, DeviceConfig b)
    {
        static string[] Ids(DeviceConfig c) => [.. c.Cameras.Where(x => x.Enabled).Select(x => x.Id)];
        // Thresholds are read per frame; only the model itself (manifest, path) needs new sessions.
        return Ids(a).SequenceEqual(Ids(b)) && a.Model.Manifest == b.Model.Manifest && a.Model.Path == b.Model.Path
            && Json(a.Pool) == Json(b.Pool) && a.DeviceId == b.DeviceId;
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
