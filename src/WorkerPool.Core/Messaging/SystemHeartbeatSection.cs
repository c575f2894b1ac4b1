using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Diagnostics;

namespace WorkerPool.Messaging;

/// <summary>The heartbeat's <c>system</c>: load, CPUs, the process's RSS, free disk where the outbox lives, and the thermal zones.</summary>
public sealed class SystemHeartbeatSection(SystemMetrics system, DeviceConfig config) : IHeartbeatSection
{
    private readonly string _outboxPath = config.ResolvePath(config.Outbox.Path);

    /// <inheritdoc />
    public void WriteTo(HeartbeatDraft draft) =>
        draft.System = new SystemPayload(system.Load1(), Environment.ProcessorCount, Environment.WorkingSet, SystemMetrics.DiskFree(_outboxPath),
            system.Temperatures().Select(t => new TemperaturePayload(t.Zone, t.Type, t.Celsius)).ToArray());
}
