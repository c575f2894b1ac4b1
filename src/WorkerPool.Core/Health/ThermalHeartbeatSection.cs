using WorkerPool.Contracts;
using WorkerPool.Control;
using WorkerPool.Diagnostics;

namespace WorkerPool.Health;

/// <summary>The heartbeat's <c>thermal</c>: the governor's last reading and step, against the throttle temperature of the config in effect.</summary>
public sealed class ThermalHeartbeatSection(ThermalGovernor thermal, IDeviceControl control) : IHeartbeatSection
{
    /// <inheritdoc />
    public void WriteTo(HeartbeatDraft draft) =>
        draft.Thermal = new ThermalPayload(thermal.Celsius, thermal.Zone, control.Config.Thermal.ThrottleCelsius, thermal.Level, thermal.Percent);
}
