using WorkerPool.Contracts;
using Microsoft.Extensions.Options;
using WorkerPool.Config;
using WorkerPool.Diagnostics;

namespace WorkerPool.Health;

/// <summary>The heartbeat's <c>thermal</c>: the governor's last reading and step, against the throttle temperature of the config in effect.</summary>
public sealed class ThermalHeartbeatSection(ThermalGovernor thermal, IOptionsMonitor<ThermalOptions> options) : IHeartbeatSection
{
    /// <inheritdoc />
    public void WriteTo(HeartbeatDraft draft) =>
        draft.Thermal = new ThermalPayload(thermal.Celsius, thermal.Zone, options.CurrentValue.ThrottleCelsius, thermal.Level, thermal.Percent);
}
