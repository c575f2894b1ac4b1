using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Control;
using WorkerPool.Pipeline;

namespace WorkerPool.Tests.Control;

/// <summary>A control surface that answers status with what the test sets, and takes no changes.</summary>
internal sealed class FakeDeviceControl(DeviceConfig config) : IDeviceControl
{
    public PipelineStatus Current { get; set; } = PipelineStatus.None;

    public DeviceConfig Config { get; private set; } = config;

    public event Action<DeviceConfig>? ConfigApplied;

    /// <summary>Makes <paramref name="next"/> the config in effect, as an applied remote config would.</summary>
    public void Apply(DeviceConfig next)
    {
        Config = next;
        ConfigApplied?.Invoke(next);
    }

    public PipelineStatus Status() => Current;

    public Task<IReadOnlyList<ConfigError>> ApplyConfigAsync(DeviceConfig config, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<bool> RestartCameraAsync(string cameraId, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task<SnapshotImage?> SnapshotAsync(string cameraId, int maxBytes, TimeSpan timeout, CancellationToken cancellationToken = default) => throw new NotSupportedException();

    public Task SetSamplingAsync(IReadOnlyDictionary<string, double> fpsByCamera, CancellationToken cancellationToken = default) => throw new NotSupportedException();
}
