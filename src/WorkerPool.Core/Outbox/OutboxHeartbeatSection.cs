using WorkerPool.Contracts;
using WorkerPool.Diagnostics;

namespace WorkerPool.Outbox;

/// <summary>
/// The heartbeat's <c>outbox</c>: backlog, age, losses (counted, and as seq ranges) and the storage error, from
/// <see cref="CountOutbox.Stats"/> and <see cref="CountOutbox.Losses"/> (which never throw or hang).
/// </summary>
public sealed class OutboxHeartbeatSection(CountOutbox outbox) : IHeartbeatSection
{
    /// <inheritdoc />
    public void WriteTo(HeartbeatDraft draft)
    {
        var o = outbox.Stats();
        var losses = outbox.Losses;
        draft.Outbox = new OutboxPayload(o.Backlog, o.OldestAgeSeconds, o.Bytes, o.DroppedByRetention, o.PendingInMemory, o.LostUnstored, o.LastError, o.Quarantined)
        {
            Losses = losses.Count == 0 ? null : losses,
        };
    }
}
