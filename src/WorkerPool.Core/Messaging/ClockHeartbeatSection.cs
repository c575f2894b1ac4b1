using WorkerPool.Contracts;
using WorkerPool.Diagnostics;

namespace WorkerPool.Messaging;

/// <summary>
/// The heartbeat's <c>clock</c> (whether the host's wall clock is synchronised: windows closed while it is not say so)
/// and <c>timeZone</c>, the zone the device is set to, for local roll-ups of its UTC windows.
/// </summary>
public sealed class ClockHeartbeatSection(IHostClock clock, TimeProvider time) : IHeartbeatSection
{
    /// <inheritdoc />
    public void WriteTo(HeartbeatDraft draft)
    {
        draft.Clock = new ClockPayload(clock.Synchronized);
        draft.TimeZone = time.LocalTimeZone.Id;
    }
}
