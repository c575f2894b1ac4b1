using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Inference;

namespace WorkerPool.Pipeline;

/// <summary>
/// Runs the counting pipeline inside the generic host: models are loaded in <see cref="StartAsync"/> (the
/// service is not ready before), and <see cref="StopAsync"/> finishes queued frames and closes open windows.
/// </summary>
public sealed class PipelineService(IOptions<DeviceConfig> options, ICountSink sink, TimeProvider time, ILoggerFactory loggers) : IHostedService, IAsyncDisposable
{
    private CountingPipeline? _pipeline;

    /// <summary>The running pipeline (null before start), for health and telemetry.</summary>
    public CountingPipeline? Pipeline => _pipeline;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        var config = options.Value;
        var model = ModelInspector.Resolve(config);
        var detectors = new OnnxDetectorFactory(model, (float)config.Model.ScoreThreshold, (float)config.Model.NmsThreshold, loggers.CreateLogger("WorkerPool.Inference"));
        _pipeline = new CountingPipeline(config, CountingPipeline.CamerasOf(config), detectors, new FrameSourceFactory(time), sink, PipelineMode.Live, time, loggers);
        _pipeline.Start();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_pipeline is not null) await _pipeline.DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _pipeline?.DisposeAsync() ?? ValueTask.CompletedTask;
}
