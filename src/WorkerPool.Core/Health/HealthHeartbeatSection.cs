using WorkerPool.Contracts;
using WorkerPool.Diagnostics;

namespace WorkerPool.Health;

/// <summary>The heartbeat's <c>health</c>: the monitor's last verdict (the one the watchdog, health file and LED follow).</summary>
public sealed class HealthHeartbeatSection(HealthMonitor health) : IHeartbeatSection
{
    /// <inheritdoc />
    public void WriteTo(HeartbeatDraft draft)
    {
        var current = health.Current;
        draft.Health = new HealthPayload(current.State.ToString().ToLowerInvariant(), current.Reason);
    }
}
