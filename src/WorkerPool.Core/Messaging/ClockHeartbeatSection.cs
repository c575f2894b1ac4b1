using WorkerPool.Contracts;
using WorkerPool.Diagnostics;

namespace WorkerPool.Messaging;

/// <summary>The heartbeat's <c>clock</c>: whether the host's wall clock is synchronised (windows closed while it is not say so).</summary>
public sealed class ClockHeartbeatSection(IHostClock clock) : IHeartbeatSection
{
    /// <inheritdoc />
    public void WriteTo(HeartbeatDraft draft) => draft.Clock = new ClockPayload(clock.Synchronized);
}
