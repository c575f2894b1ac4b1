namespace WorkerPool.Outbox;

/// <summary>Why records of a <see cref="LossRanges"/> range will never be published (the byte is stored in the ledger).</summary>
internal enum LossReason : byte
{
    /// <summary>Stored, then dropped by the retention limits before the broker acknowledged it.</summary>
    Retention = 1,

    /// <summary>Lost before it was stored: beyond <c>outbox.maxPendingInMemory</c>, or held in memory when the service stopped.</summary>
    Unstored = 2,
}
