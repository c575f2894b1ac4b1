namespace WorkerPool.Diagnostics;

/// <summary>
/// One feature's part of the heartbeat: it reads its own state and writes the matching parts of the draft. Each
/// feature registers its section in its own <c>Add…()</c>, so the heartbeat needs no dependency on the feature.
/// </summary>
public interface IHeartbeatSection
{
    /// <summary>Writes this feature's parts of the heartbeat now. Must not block (it runs on every heartbeat and <c>get-stats</c>).</summary>
    void WriteTo(HeartbeatDraft draft);
}
