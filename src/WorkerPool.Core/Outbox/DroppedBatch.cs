namespace WorkerPool.Outbox;

/// <summary>What one <see cref="OutboxStore.DropOldest"/> removed.</summary>
/// <param name="LostSeqs">The records dropped that had not reached the broker (each leaves a sequence gap), by camera and seq.</param>
/// <param name="More">Whether the whole batch went, so older records than the limits allow may remain.</param>
internal sealed record DroppedBatch(IReadOnlyList<(string Camera, long Seq)> LostSeqs, bool More)
{
    /// <summary>How many of the records dropped had not reached the broker.</summary>
    public int Lost => LostSeqs.Count;
}
