using Microsoft.Extensions.Logging;
using WorkerPool.Config;
using WorkerPool.Diagnostics;

namespace WorkerPool.Outbox;

/// <summary>
/// The outbox's retention limits (<see cref="OutboxOptions.MaxAgeHours"/>, <see cref="OutboxOptions.MaxRecords"/>,
/// <see cref="OutboxOptions.MaxBytes"/>): drops the oldest stored records beyond them, first by age, then by count
/// and size. Each dropped record that had not reached the broker leaves a sequence gap and is counted, noted among the
/// losses and logged.
/// </summary>
internal sealed class RetentionPolicy(OutboxOptions options, RecordClock clock, ILogger logger)
{
    /// <summary>Applies the limits to the store (it must be open); returns how many records were lost to them.</summary>
    public long Apply(OutboxStore store, SeqAllocator seqs)
    {
        double maxAge = options.MaxAgeHours * 3600;
        long byAge = DropWhile(store, seqs, doc => clock.AgeSeconds(doc) > maxAge); // an unknown age is never too old
        long bySize = DropWhile(store, seqs, _ => store.Count > options.MaxRecords || store.Bytes > options.MaxBytes);
        if (byAge + bySize == 0) return 0;
        seqs.Save();
        Log.OutboxRetentionDropped(logger, byAge, bySize, seqs.Dropped);
        return byAge + bySize;
    }

    private static long DropWhile(OutboxStore store, SeqAllocator seqs, Func<LiteDB.BsonDocument, bool> drop)
    {
        long lost = 0;
        DroppedBatch batch;
        do
        {
            batch = store.DropOldest(drop, seqs.Dropped);
            // Counted per committed batch: the database's own count already includes it.
            seqs.AddDropped(batch.LostSeqs);
            lost += batch.Lost;
        }
        while (batch.More);
        return lost;
    }
}
