using System.Globalization;
using System.Text;
using LiteDB;

namespace WorkerPool.Outbox;

/// <summary>
/// Records the broker acknowledged, kept for <see cref="Config.OutboxOptions.ArchiveHours"/> so that the fleet side
/// can ask for them again (<c>resend</c>): the <c>archive</c> collection of the outbox's database, each record moved
/// there by <see cref="OutboxStore.DeleteAcknowledged"/> in the transaction that takes it out of the queue. Keyed by
/// camera and seq, so one camera's range is one index seek; an index on <c>n</c> (the record's place in the queue)
/// gives the oldest first for pruning. Its count and bytes are its own: the archive is never backlog. Not
/// thread-safe: the store calls it under the outbox's lock.
/// </summary>
internal sealed class OutboxArchive
{
    /// <summary>The collection's name.</summary>
    public const string Collection = "archive";

    private const string BytesKey = "archiveBytes";
    private const int DropBatch = 256;
    private LiteDatabase _db = null!;
    private ILiteCollection<BsonDocument> _docs = null!, _meta = null!;
    private bool _indexed;
    private long _addedCount, _addedBytes; // kept in the transaction under way, not committed yet

    /// <summary>Records archived.</summary>
    public long Count { get; private set; }

    /// <summary>Payload bytes archived.</summary>
    public long Bytes { get; private set; }

    /// <summary>Takes the collections of a database just opened (or reopened) and reads the archive's figures.</summary>
    public void Attach(LiteDatabase db, ILiteCollection<BsonDocument> meta)
    {
        (_db, _meta) = (db, meta);
        _docs = db.GetCollection(Collection);
        _indexed = false;
        (_addedCount, _addedBytes) = (0, 0);
        Count = _docs.LongCount();
        Bytes = _meta.FindById(BytesKey)?["n"].AsInt64 ?? 0;
    }

    /// <summary>
    /// Makes the pruning index, once per open (before a transaction: it is a write of its own). Not at open: a write
    /// that fails there (a full disk) would look like a damaged file.
    /// </summary>
    public void Prepare()
    {
        if (_indexed) return;
        _docs.EnsureIndex("n");
        _indexed = true;
    }

    /// <summary>Adds an outbox record's document, inside the caller's transaction, stamped now by <paramref name="clock"/> (its age counts from here).</summary>
    public void Keep(BsonDocument record, RecordClock clock)
    {
        string camera = record["cam"].AsString;
        long seq = record["seq"].AsInt64;
        var doc = new BsonDocument
        {
            ["_id"] = Key(camera, seq),
            ["n"] = record["_id"].AsInt64,
            ["cam"] = camera,
            ["seq"] = seq,
            ["mid"] = record["mid"].AsString,
            ["p"] = record["p"].AsString,
            ["b"] = record["b"].AsInt32,
            ["stored"] = record["at"],
        };
        clock.Stamp(doc);
        // Not there already (a seq is never given twice); should it be, the newer copy replaces it, counted once.
        if (_docs.FindById(doc["_id"]) is { } old)
        {
            _addedCount--;
            _addedBytes -= old["b"].AsInt32;
        }
        _docs.Upsert(doc);
        _addedCount++;
        _addedBytes += doc["b"].AsInt32;
        SetBytes(Bytes + _addedBytes);
    }

    /// <summary>The caller's transaction committed: what <see cref="Keep"/> added counts.</summary>
    public void Committed()
    {
        Count += _addedCount;
        Bytes += _addedBytes;
        (_addedCount, _addedBytes) = (0, 0);
    }

    /// <summary>The caller's transaction was rolled back: what <see cref="Keep"/> added is gone.</summary>
    public void RolledBack() => (_addedCount, _addedBytes) = (0, 0);

    /// <summary>The camera's archived records from <paramref name="from"/> to <paramref name="to"/>, in seq order, exactly as they were published.</summary>
    public IReadOnlyList<OutboxEntry> Range(string camera, long from, long to) =>
        [.. _docs.Find(Query.Between("_id", Key(camera, from), Key(camera, to))).Select(ToEntry).OrderBy(e => e.Seq)];

    /// <summary>
    /// Deletes the oldest archived records while <paramref name="drop"/> says so (it sees <see cref="Count"/> and
    /// <see cref="Bytes"/> fall with each one), a batch per transaction; returns how many went. No loss: each reached
    /// the broker.
    /// </summary>
    public long DropOldestWhile(Func<BsonDocument, bool> drop)
    {
        long dropped = 0;
        // Asked after every write, and mostly nothing is due: look at the oldest alone before reading batches.
        int limit = 1;
        while (Count > 0)
        {
            Prepare();
            var batch = _docs.Query().OrderBy("n").Limit(limit).ToList();
            limit = DropBatch;
            if (batch.Count == 0) break;
            long count = Count, bytes = Bytes;
            int take = 0;
            foreach (var doc in batch)
            {
                if (!drop(doc)) break;
                take++;
                Count--;
                Bytes -= doc["b"].AsInt32;
            }
            if (take > 0)
            {
                _db.BeginTrans();
                try
                {
                    for (int i = 0; i < take; i++) _docs.Delete(batch[i]["_id"]);
                    SetBytes(Bytes);
                    _db.Commit();
                }
                catch
                {
                    (Count, Bytes) = (count, bytes);
                    try { _db.Rollback(); }
                    catch (Exception ex) when (OutboxFile.IsStorageFailure(ex)) { } // the store reopens after the error it is given
                    throw;
                }
            }
            dropped += take;
            if (take < batch.Count) break;
        }
        return dropped;
    }

    /// <summary>
    /// The archive's key: the camera id's UTF-8 bytes in hex, after their length, then the seq in 19 digits. Made of
    /// 0-9 and A-F only, at one length per camera, it sorts the same under any LiteDB collation (ids differing only in
    /// case, or in '-' against '_', stay apart), so a camera's seq range is one contiguous run of the index.
    /// </summary>
    public static string Key(string camera, long seq)
    {
        string hex = Convert.ToHexString(Encoding.UTF8.GetBytes(camera));
        return string.Create(CultureInfo.InvariantCulture, $"{hex.Length:X4}{hex}{seq:D19}");
    }

    private void SetBytes(long value) => _meta.Upsert(new BsonDocument { ["_id"] = BytesKey, ["n"] = value });

    private static OutboxEntry ToEntry(BsonDocument d) =>
        new(d["n"].AsInt64, d["cam"].AsString, d["seq"].AsInt64, d["mid"].AsString, d["stored"].AsDateTime.ToUniversalTime(), d["p"].AsString);
}
