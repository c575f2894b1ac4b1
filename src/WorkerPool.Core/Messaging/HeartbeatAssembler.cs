using WorkerPool.Contracts;
using WorkerPool.Diagnostics;

namespace WorkerPool.Messaging;

/// <summary>The heartbeat now, from every registered <see cref="IHeartbeatSection"/>: what is sent periodically and what <c>get-stats</c> answers.</summary>
public sealed class HeartbeatAssembler(IEnumerable<IHeartbeatSection> sections, TimeProvider time)
{
    private readonly IHeartbeatSection[] _sections = [.. sections];

    /// <summary>The current heartbeat. Throws <see cref="InvalidOperationException"/> when a part has no section.</summary>
    public HeartbeatPayload Assemble()
    {
        var draft = new HeartbeatDraft(time.GetUtcNow());
        foreach (var section in _sections) section.WriteTo(draft);
        return draft.ToPayload();
    }
}
