namespace WorkerPool.Outbox;

/// <summary>What the heartbeat reports about the outbox.</summary>
/// <param name="Backlog">Records waiting to be published.</param>
/// <param name="OldestAgeSeconds">Age of the oldest waiting record (0 when empty; null when unknown: stored in an earlier boot before the clock was synchronised).</param>
/// <param name="Bytes">Payload bytes waiting.</param>
/// <param name="DroppedByRetention">Stored records dropped by the retention limits, since the outbox was created (each left a seq gap).</param>
/// <param name="PendingInMemory">Records that could not be written yet (disk full or failing) and are held in memory.</param>
/// <param name="LostUnstored">Records lost before they were stored (memory buffer full, or held in memory when the service stopped), since the outbox was created (each left a seq gap).</param>
/// <param name="LastError">Last storage error, if the last write failed.</param>
/// <param name="Quarantined">File a corrupt database was moved to at start, if that happened.</param>
/// <param name="StuckSeconds">How long a storage call has been running without returning (0 normally): a store that stopped answering.</param>
public sealed record OutboxStats(long Backlog, double? OldestAgeSeconds, long Bytes, long DroppedByRetention, int PendingInMemory,
    long LostUnstored, string? LastError, string? Quarantined, double StuckSeconds = 0);
