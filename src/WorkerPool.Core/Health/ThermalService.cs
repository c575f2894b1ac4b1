using Microsoft.Extensions.Hosting;
using WorkerPool.Diagnostics;
using WorkerPool.Control;

namespace WorkerPool.Health;

/// <summary>Reads the SoC temperature every <c>thermal.pollSeconds</c> and sets the camera sampling rates for the governor's level.</summary>
public sealed class ThermalService(ThermalGovernor governor, IDeviceControl control, TimeProvider time, Microsoft.Extensions.Logging.ILogger logger) : BackgroundService
{
    /// <summary>The service's thermal loop.</summary>
    public ThermalService(ThermalGovernor governor, IDeviceControl control, TimeProvider time, Microsoft.Extensions.Logging.ILoggerFactory loggers)
        : this(governor, control, time, loggers.CreateLogger(LogCategories.Health))
    {
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var config = control.Config;
                try
                {
                    // Read every round: a remote config may change the thresholds, and the sysfs root with them.
                    governor.Step(new SystemMetrics(config.Thermal.SysfsRoot).Temperatures());
                    await control.SetSamplingAsync(governor.Targets(control.Status(), config), stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.ThermalFailed(logger, ex); // the next round catches up
                }
                await Task.Delay(TimeSpan.FromSeconds(config.Thermal.PollSeconds), time, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }
}
