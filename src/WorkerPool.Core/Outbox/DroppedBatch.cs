namespace WorkerPool.Outbox;

/// <summary>What one <see cref="OutboxStore.DropOldest"/> removed.</summary>
/// <param name="Lost">Records dropped that had not reached the broker (each leaves a sequence gap).</param>
/// <param name="More">Whether the whole batch went, so older records than the limits allow may remain.</param>
internal sealed record DroppedBatch(int Lost, bool More);
