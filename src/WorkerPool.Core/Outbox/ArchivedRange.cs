namespace WorkerPool.Outbox;

/// <summary>What the outbox holds of one camera's seq range, for a resend.</summary>
/// <param name="Delivered">Records the broker acknowledged and the outbox still keeps (in its archive, or not deleted yet), in seq order, exactly as they were published.</param>
/// <param name="Missing">The seqs of the range neither kept nor still waiting to be published (lost, pruned from the archive, or never given out), as ranges in order.</param>
public sealed record ArchivedRange(IReadOnlyList<OutboxEntry> Delivered, IReadOnlyList<(long From, long To)> Missing)
{
    /// <summary>The range <paramref name="from"/> to <paramref name="to"/> with what was delivered and what still waits (in memory or stored); the rest is missing.</summary>
    public static ArchivedRange Of(long from, long to, IEnumerable<OutboxEntry> delivered, IEnumerable<long> waiting)
    {
        var kept = delivered.DistinctBy(e => e.Seq).OrderBy(e => e.Seq).ToList();
        var present = kept.Select(e => e.Seq).Concat(waiting).Where(s => s >= from && s <= to).ToHashSet();
        var missing = new List<(long, long)>();
        long? start = null;
        for (long seq = from; seq <= to; seq++)
        {
            if (!present.Contains(seq)) { start ??= seq; continue; }
            if (start is { } s) missing.Add((s, seq - 1));
            start = null;
        }
        if (start is { } last) missing.Add((last, to));
        return new ArchivedRange(kept, missing);
    }
}
