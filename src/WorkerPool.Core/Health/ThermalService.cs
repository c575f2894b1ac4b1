using Microsoft.Extensions.Hosting;
using WorkerPool.Diagnostics;
using WorkerPool.Pipeline;

namespace WorkerPool.Health;

/// <summary>Reads the SoC temperature every <c>thermal.pollSeconds</c> and sets the camera sampling rates for the governor's level.</summary>
public sealed class ThermalService(ThermalGovernor governor, PipelineService pipeline, TimeProvider time, Microsoft.Extensions.Logging.ILogger logger) : BackgroundService
{
    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var config = pipeline.Config;
                try
                {
                    // Read every round: a remote config may change the thresholds, and the sysfs root with them.
                    governor.Step(new SystemMetrics(config.Thermal.SysfsRoot).Temperatures());
                    governor.Apply(pipeline.Pipeline, config);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.ThermalFailed(logger, ex); // a pipeline torn down under it; the next round catches up
                }
                await Task.Delay(TimeSpan.FromSeconds(config.Thermal.PollSeconds), time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }
}
