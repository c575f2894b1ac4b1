using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Pipeline;

namespace WorkerPool.Control;

/// <summary>
/// The one surface through which the control side (remote config, commands, thermal, health, heartbeat) reaches
/// the pipeline. Changes are serialized and wait until the pipeline has started; status is immutable data.
/// </summary>
public interface IDeviceControl
{
    /// <summary>The config the pipeline runs with now.</summary>
    DeviceConfig Config { get; }

    /// <summary>Raised, on the control queue, after a config was applied in full; carries the config now in effect.</summary>
    event Action<DeviceConfig>? ConfigApplied;

    /// <summary>The pipeline now; never blocks, also while a change is being applied.</summary>
    PipelineStatus Status();

    /// <summary>Applies a validated config (see the pipeline's rules for what changes in place); the errors when it could not.</summary>
    Task<IReadOnlyList<ConfigError>> ApplyConfigAsync(DeviceConfig config, CancellationToken cancellationToken = default);

    /// <summary>Restarts one camera's reader; false when there is no such camera.</summary>
    Task<bool> RestartCameraAsync(string cameraId, CancellationToken cancellationToken = default);

    /// <summary>The camera's next frame with its lines, zones and tracks drawn, as a JPEG; null when unknown or not delivering in time.</summary>
    Task<SnapshotImage?> SnapshotAsync(string cameraId, int maxBytes, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Sets cameras' sampling rates into inference (thermal throttling); unknown ids are skipped.</summary>
    Task SetSamplingAsync(IReadOnlyDictionary<string, double> fpsByCamera, CancellationToken cancellationToken = default);
}
