using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using WorkerPool.Diagnostics;

namespace WorkerPool.Health;

/// <summary>
/// Every two seconds (or half the watchdog interval, if shorter): judges health, feeds the systemd watchdog unless
/// unhealthy, and sets the status LED pattern; the health file is written when the verdict changes and every
/// <see cref="RewriteEvery"/>. The LED itself blinks on its own timer.
/// </summary>
public sealed class HealthService(HealthMonitor monitor, Func<PipelineSnapshot> snapshot, SystemdWatchdog watchdog, StatusLed led,
    Func<bool> online, Func<bool> outboxFailing, string healthFile, string version, TimeProvider time, ILogger logger) : BackgroundService
{
    /// <summary>
    /// The service's health loop: the pipeline through the control surface, the outbox's own state, the broker link,
    /// the systemd watchdog from the environment and the status LED from the config.
    /// </summary>
    public HealthService(HealthMonitor monitor, Control.IDeviceControl control, Outbox.CountOutbox outbox, IBrokerLink broker, Config.DeviceConfig config,
        BuildInfo build, TimeProvider time, ILoggerFactory loggers)
        : this(monitor, () => Snapshot(control, outbox), SystemdWatchdog.FromEnvironment(new Microsoft.Extensions.Hosting.Systemd.SystemdNotifier()), StatusLed.Open(config.StatusLed, time, loggers.CreateLogger(LogCategories.Health)),
            () => !config.Mqtt.Enabled || broker.IsConnected, () => outbox.Stats().LastError is not null, config.HealthFilePath, build.FullVersion, time, loggers.CreateLogger(LogCategories.Health))
    {
    }

    private static PipelineSnapshot Snapshot(Control.IDeviceControl control, Outbox.CountOutbox outbox)
    {
        var o = outbox.Stats();
        return PipelineSnapshot.Of(control.Status()) with { OutboxError = o.LastError, OutboxStuckSeconds = o.StuckSeconds };
    }

    /// <summary>How often an unchanged verdict is written again (a fresh time shows the service alive; writing every round would wear an SD card).</summary>
    public static readonly TimeSpan RewriteEvery = TimeSpan.FromSeconds(30);

    private HealthReport? _written;
    private long _writtenAt;

    /// <summary>The pattern the status LED shows now.</summary>
    public LedPattern LedPattern => led.Pattern;

    /// <summary>One round: judge, report, write, choose the LED pattern. Public so tests drive it with a fake clock.</summary>
    public HealthReport Check()
    {
        var report = monitor.Evaluate(snapshot());
        // The last verdict written is the last one judged (a changed one is always written), so it also tells when to log.
        if (report.State != _written?.State)
        {
            if (report.State is HealthState.Healthy) Log.HealthRecovered(logger, "healthy");
            else Log.HealthChanged(logger, report.State.ToString().ToLowerInvariant(), report.Reason ?? "-");
        }
        watchdog.Report(report);
        led.Pattern = StatusLed.Choose(report.State, online(), outboxFailing());
        if (report != _written || time.GetElapsedTime(_writtenAt) >= RewriteEvery)
        {
            WriteFile(report.State.ToString().ToLowerInvariant(), report.Reason);
            _written = report;
            _writtenAt = time.GetTimestamp();
        }
        return report;
    }

    private void WriteFile(string state, string? reason)
    {
        try
        {
            HealthFile.Write(healthFile, new HealthFileContent(state, reason, version, Environment.ProcessId, time.GetUtcNow()));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.HealthFileFailed(logger, healthFile, ex.Message);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (watchdog.Enabled) Log.WatchdogEnabled(logger, watchdog.PingEvery.TotalSeconds);
        var every = watchdog.PingEvery < TimeSpan.FromSeconds(2) ? watchdog.PingEvery : TimeSpan.FromSeconds(2);
        var blinking = led.Present ? BlinkAsync(stoppingToken) : Task.CompletedTask;
        try
        {
            SafeCheck();
            using var timer = new PeriodicTimer(every, time);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false)) SafeCheck();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        await blinking.ConfigureAwait(false);
    }

    private void SafeCheck()
    {
        // A failing round (a pipeline torn down under it by a config change) skips one ping; it must never end the
        // loop, or the watchdog would restart a service that is fine.
        try { Check(); }
        catch (Exception ex) when (ex is not OperationCanceledException) { Log.HealthCheckFailed(logger, ex); }
    }

    private async Task BlinkAsync(CancellationToken stoppingToken)
    {
        try
        {
            using var timer = new PeriodicTimer(StatusLed.TickInterval, time);
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false)) led.Tick();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    /// <inheritdoc />
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        WriteFile("stopped", null);
        led.Pattern = LedPattern.Off;
        led.Tick();
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        led.Dispose();
        base.Dispose();
    }
}
