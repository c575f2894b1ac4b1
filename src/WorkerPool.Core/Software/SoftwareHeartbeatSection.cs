using WorkerPool.Control;
using WorkerPool.Diagnostics;

namespace WorkerPool.Software;

/// <summary>The heartbeat's <c>group</c>, <c>tags</c> (what rollouts select by) and <c>software</c> (as on the retained topic).</summary>
public sealed class SoftwareHeartbeatSection(IDeviceControl control, SoftwareStateReporter reporter) : IHeartbeatSection
{
    /// <inheritdoc />
    public void WriteTo(HeartbeatDraft draft)
    {
        var fleet = control.Config.Fleet;
        draft.Group = fleet.Group;
        draft.Tags = [.. fleet.Tags];
        draft.Software = reporter.Current;
    }
}
