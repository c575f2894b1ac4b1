using System.Globalization;
using Microsoft.Extensions.Hosting.Systemd;

namespace WorkerPool.Health;

/// <summary>
/// systemd's watchdog (<c>WatchdogSec=</c> in the unit): systemd passes the interval in <c>WATCHDOG_USEC</c> and
/// restarts the service when no <c>WATCHDOG=1</c> arrives in time. Pinged only while the pipeline is not unhealthy.
/// </summary>
public sealed class SystemdWatchdog(ISystemdNotifier notifier, TimeSpan? interval)
{
    /// <summary>The watchdog as systemd configured it for this process (disabled outside systemd or without WatchdogSec).</summary>
    public static SystemdWatchdog FromEnvironment(ISystemdNotifier notifier)
    {
        string? usec = Environment.GetEnvironmentVariable("WATCHDOG_USEC");
        string? pid = Environment.GetEnvironmentVariable("WATCHDOG_PID");
        TimeSpan? interval = null;
        // WATCHDOG_PID, when set, names the process meant (a child started by the service must not ping for it).
        if (long.TryParse(usec, NumberStyles.Integer, CultureInfo.InvariantCulture, out long us) && us > 0 &&
            (string.IsNullOrEmpty(pid) || pid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture)))
            interval = TimeSpan.FromMilliseconds(us / 1000.0);
        return new SystemdWatchdog(notifier, interval);
    }

    /// <summary>True when systemd expects pings.</summary>
    public bool Enabled => interval is not null && notifier.IsEnabled;

    /// <summary>How often to ping: half the watchdog interval, as sd_watchdog_enabled(3) advises.</summary>
    public TimeSpan PingEvery => interval is { } i ? i / 2 : TimeSpan.MaxValue;

    /// <summary>Feeds the watchdog when <paramref name="report"/> is not unhealthy; always updates the status line shown by <c>systemctl status</c>.</summary>
    public void Report(HealthReport report)
    {
        if (!notifier.IsEnabled) return;
        string status = "STATUS=" + report.State.ToString().ToLowerInvariant() + (report.Reason is null ? "" : ": " + report.Reason.Replace('\n', ' '));
        notifier.Notify(new ServiceState(report.State == HealthState.Unhealthy || interval is null ? status : "WATCHDOG=1\n" + status));
    }
}
