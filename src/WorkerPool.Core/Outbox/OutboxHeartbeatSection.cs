using WorkerPool.Contracts;
using WorkerPool.Diagnostics;

namespace WorkerPool.Outbox;

/// <summary>The heartbeat's <c>outbox</c>: backlog, age, losses and the storage error, from <see cref="CountOutbox.Stats"/> (which never throws or hangs).</summary>
public sealed class OutboxHeartbeatSection(CountOutbox outbox) : IHeartbeatSection
{
    /// <inheritdoc />
    public void WriteTo(HeartbeatDraft draft)
    {
        var o = outbox.Stats();
        draft.Outbox = new OutboxPayload(o.Backlog, o.OldestAgeSeconds, o.Bytes, o.DroppedByRetention, o.PendingInMemory, o.LostUnstored, o.LastError, o.Quarantined);
    }
}
