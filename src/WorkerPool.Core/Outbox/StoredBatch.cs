namespace WorkerPool.Outbox;

/// <summary>What one <see cref="OutboxStore.Insert"/> stored.</summary>
/// <param name="Count">Records stored.</param>
/// <param name="Last">The last of them.</param>
/// <param name="LastSeqs">Per camera, the last sequence number stored.</param>
internal sealed record StoredBatch(int Count, OutboxEntry Last, IReadOnlyDictionary<string, long> LastSeqs);

