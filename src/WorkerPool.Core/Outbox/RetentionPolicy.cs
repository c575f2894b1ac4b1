using Microsoft.Extensions.Logging;
using WorkerPool.Config;
using WorkerPool.Diagnostics;

namespace WorkerPool.Outbox;

/// <summary>
/// The outbox's retention limits (<see cref="OutboxOptions.MaxAgeHours"/>, <see cref="OutboxOptions.MaxRecords"/>,
/// <see cref="OutboxOptions.MaxBytes"/>) and the archive's (<see cref="OutboxOptions.ArchiveHours"/>). The archive
/// goes first: past its age, then whatever of it makes the whole file exceed the limits, and all of it while space is
/// short; so it never makes an unsent record go. Then the oldest unsent records beyond the limits are dropped, first
/// by age, then by count and size: each one that had not reached the broker leaves a sequence gap and is counted,
/// noted among the losses and logged.
/// </summary>
internal sealed class RetentionPolicy(OutboxOptions options, RecordClock clock, FreeSpaceGuard room, ILogger logger)
{
    /// <summary>Applies the limits to the store (it must be open); returns how many records were lost to them.</summary>
    public long Apply(OutboxStore store, SeqAllocator seqs)
    {
        PruneArchive(store);
        double maxAge = options.MaxAgeHours * 3600;
        long byAge = DropWhile(store, seqs, doc => clock.AgeSeconds(doc) > maxAge); // an unknown age is never too old
        long bySize = DropWhile(store, seqs, _ => store.Count > options.MaxRecords || store.Bytes > options.MaxBytes);
        if (byAge + bySize == 0) return 0;
        seqs.Save();
        Log.OutboxRetentionDropped(logger, byAge, bySize, seqs.Dropped);
        return byAge + bySize;
    }

    /// <summary>Drops archived records past their age, then those the limits or short space have no room for; no loss either way.</summary>
    private void PruneArchive(OutboxStore store)
    {
        var archive = store.Archive;
        if (archive.Count == 0) return;
        double keep = options.ArchiveHours * 3600;
        long aged = archive.DropOldestWhile(doc => keep <= 0 || clock.AgeSeconds(doc) > keep); // an unknown age is kept, as in the queue
        if (aged > 0) Log.OutboxArchivePruned(logger, aged, archive.Count);
        if (archive.Count == 0) return;
        bool spaceIsShort = room.SpaceIsShort;
        long forRoom = archive.DropOldestWhile(_ => spaceIsShort
            || store.Count + archive.Count > options.MaxRecords || store.Bytes + archive.Bytes > options.MaxBytes);
        if (forRoom > 0) Log.OutboxArchiveDropped(logger, forRoom, spaceIsShort ? "free disk is below twice outbox.minFreeBytes" : "outbox.maxRecords or maxBytes");
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
