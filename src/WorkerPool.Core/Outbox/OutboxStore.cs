using System.Text.Json;
using LiteDB;
using Microsoft.Extensions.Logging;
using WorkerPool.Contracts;
using WorkerPool.Diagnostics;

namespace WorkerPool.Outbox;

/// <summary>
/// The outbox's records in LiteDB: four collections (<c>outbox</c>, the records; <c>seq</c>, the last stored
/// sequence number per camera; <c>meta</c>, the payload bytes and retention's drop count; <c>checkpoint</c>, each
/// camera's open window so far), each change in one transaction, and beside them the <see cref="OutboxArchive"/> of
/// acknowledged records. It keeps the stored count and
/// bytes, and the records the broker acknowledged that could not be deleted yet: those are no longer backlog and never
/// read again. A storage error leaves LiteDB's streams failed, so the store is then marked broken and
/// <see cref="EnsureOpen"/> reopens it. Not thread-safe: the outbox calls it under its lock.
/// </summary>
internal sealed class OutboxStore : IDisposable
{
    private const string Records = "outbox", Sequences = "seq", Meta = "meta", Checkpoints = "checkpoint";
    private const int DropBatch = 256;
    private readonly string _path;
    private readonly HashSet<long> _acknowledged = [];
    // Per camera, the window start of its stored checkpoint: a record of that window or a later one deletes it.
    private readonly Dictionary<string, DateTime> _checkpointStarts = new(StringComparer.Ordinal);
    private LiteDatabase _db;
    private ILiteCollection<BsonDocument> _records, _sequences, _meta, _checkpoints;

    private OutboxStore(string path)
    {
        _path = path;
        (_db, _records, _sequences, _meta, _checkpoints) = OpenCollections(path);
        try
        {
            // Checkpoints found at open are windows the last run never closed: read once, here, where a damaged
            // file can still be quarantined; the outbox stores them as partial records.
            Interrupted = ReadCheckpoints();
            LoadCheckpointStarts(Interrupted);
            Archive.Attach(_db, _meta);
            Count = _records.LongCount();
            Bytes = MetaValue("bytes");
            // Read now: a damaged file must fail here, where it can still be quarantined, not at first use.
            StoredSequences = _sequences.FindAll().ToDictionary(d => d["_id"].AsString, d => d["last"].AsInt64, StringComparer.Ordinal);
            DroppedAtOpen = MetaValue("dropped");
        }
        catch
        {
            _db.Dispose(); // the caller may quarantine the file and open a fresh one
            throw;
        }
    }

    /// <summary>The checkpoints the database held when it was opened (see <see cref="ReadCheckpoints"/>).</summary>
    public IReadOnlyList<(string Id, CountRecord? Record)> Interrupted { get; }

    /// <summary>The acknowledged records kept for resends, in this database (reattached when it is reopened).</summary>
    public OutboxArchive Archive { get; } = new();

    /// <summary>Records stored, acknowledged ones not yet deleted included.</summary>
    public long Count { get; private set; }

    /// <summary>Payload bytes stored.</summary>
    public long Bytes { get; private set; }

    /// <summary>Records waiting to be published: stored and not acknowledged.</summary>
    public long Backlog => Count - _acknowledged.Count;

    /// <summary>Whether acknowledged records wait to be deleted.</summary>
    public bool HasAcknowledged => _acknowledged.Count > 0;

    /// <summary>Whether a storage error left the database unusable until it is reopened.</summary>
    public bool Broken { get; private set; }

    /// <summary>Per camera, the last sequence number the database held when it was opened (committed with the records).</summary>
    public IReadOnlyDictionary<string, long> StoredSequences { get; }

    /// <summary>Retention's drop count as the database held it when it was opened.</summary>
    public long DroppedAtOpen { get; }

    /// <summary>
    /// Opens the database at <paramref name="path"/>. One that is damaged is moved aside by <see cref="OutboxFile.Quarantine"/>,
    /// logged, and replaced by a fresh one; <paramref name="quarantined"/> then says where it went.
    /// </summary>
    public static OutboxStore OpenOrQuarantine(string path, TimeProvider time, ILogger logger, out string? quarantined)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        quarantined = null;
        try
        {
            return new OutboxStore(path);
        }
        catch (Exception ex) when (OutboxFile.IsCorruption(ex))
        {
            quarantined = OutboxFile.Quarantine(path, time);
            Log.OutboxQuarantined(logger, ex, path, quarantined);
            return new OutboxStore(path);
        }
    }

    /// <summary>Notes a storage error: any but a refusal for room leaves LiteDB's streams failed, so the next use reopens.</summary>
    public void Failed(Exception ex) => Broken |= ex is not DiskAlmostFullException;

    /// <summary>Reopens the database if a storage error left it failed.</summary>
    public void EnsureOpen()
    {
        if (!Broken) return;
        try { _db.Dispose(); }
        catch (Exception ex) when (OutboxFile.IsStorageFailure(ex)) { } // it is being replaced; its log replays on open
        (_db, _records, _sequences, _meta, _checkpoints) = OpenCollections(_path);
        LoadCheckpointStarts(ReadCheckpoints());
        Archive.Attach(_db, _meta);
        Count = _records.LongCount();
        Bytes = MetaValue("bytes");
        Broken = false;
    }

    /// <summary>
    /// Stores the records, in order, with the cameras' last sequence numbers and the new byte total, in one
    /// transaction (committed to the OS: <see cref="Flush"/> takes it to the disk). Returns what was stored.
    /// </summary>
    public StoredBatch Insert(IReadOnlyCollection<CountRecord> records, RecordClock clock)
    {
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        var closes = new List<string>();
        var docs = new List<BsonDocument>(records.Count);
        long bytes = 0;
        foreach (var record in records)
        {
            last[record.CameraId] = record.Seq;
            // The window is closed: its checkpoint (or an older one) goes in the same transaction, so that a crash
            // can never count it twice.
            if (_checkpointStarts.TryGetValue(record.CameraId, out var open) && open <= record.WindowStart.UtcDateTime && !closes.Contains(record.CameraId))
                closes.Add(record.CameraId);
            string payload = ContractJsonContext.Serialize(record);
            int size = System.Text.Encoding.UTF8.GetByteCount(payload);
            bytes += size;
            var doc = new BsonDocument
            {
                ["cam"] = record.CameraId,
                ["seq"] = record.Seq,
                ["mid"] = record.MessageId,
                ["p"] = payload,
                ["b"] = size,
            };
            clock.Stamp(doc);
            docs.Add(doc);
        }
        _db.BeginTrans();
        try
        {
            _records.InsertBulk(docs);
            foreach (var (camera, seq) in last) _sequences.Upsert(new BsonDocument { ["_id"] = camera, ["last"] = seq });
            foreach (string camera in closes) _checkpoints.Delete(CheckpointId(camera));
            SetMeta("bytes", Bytes + bytes);
            _db.Commit();
        }
        catch
        {
            TryRollback();
            throw;
        }
        foreach (string camera in closes) _checkpointStarts.Remove(camera);
        Count += docs.Count;
        Bytes += bytes;
        return new StoredBatch(docs.Count, ToEntry(docs[^1]), last);
    }

    /// <summary>
    /// Stores the open windows' counts so far, each replacing its camera's checkpoint (the last of a camera wins), in
    /// one transaction (<see cref="Flush"/> takes it to the disk).
    /// </summary>
    public void SaveCheckpoints(IReadOnlyList<CountRecord> openWindows)
    {
        _db.BeginTrans();
        try
        {
            foreach (var record in openWindows)
                _checkpoints.Upsert(new BsonDocument
                {
                    ["_id"] = CheckpointId(record.CameraId),
                    ["ws"] = record.WindowStart.UtcDateTime,
                    ["p"] = ContractJsonContext.Serialize(record),
                });
            _db.Commit();
        }
        catch
        {
            TryRollback();
            throw;
        }
        foreach (var record in openWindows) _checkpointStarts[record.CameraId] = record.WindowStart.UtcDateTime;
    }

    /// <summary>
    /// The stored checkpoints, as the records they were taken from; one that cannot be read comes back as its
    /// camera's id with a null record.
    /// </summary>
    public IReadOnlyList<(string Id, CountRecord? Record)> ReadCheckpoints()
    {
        var list = new List<(string, CountRecord?)>();
        foreach (var doc in _checkpoints.FindAll())
        {
            CountRecord? record = null;
            if (doc["p"].IsString)
            {
                try { record = System.Text.Json.JsonSerializer.Deserialize(doc["p"].AsString, ContractJsonContext.Default.CountRecord); }
                catch (JsonException) { } // unreadable: reported by the caller
            }
            list.Add((doc["_id"].AsString, record));
        }
        return list;
    }

    /// <summary>Deletes a checkpoint that cannot be read (by its document id), so that it is reported once.</summary>
    public void DeleteCheckpoint(string id) => _checkpoints.Delete(id);

    /// <summary>Forces committed changes to the disk: checkpoint, then fsync (power cuts, not only crashes).</summary>
    public void Flush()
    {
        _db.Checkpoint();
        Fsync.Path(_path);
    }

    /// <summary>The oldest records, in insertion order, leaving out the acknowledged ones.</summary>
    public IReadOnlyList<OutboxEntry> ReadOldest(int max)
    {
        var docs = _records.Query().OrderBy("_id").Limit(max + _acknowledged.Count).ToList();
        return docs.Where(d => !_acknowledged.Contains(d["_id"].AsInt64)).Take(max).Select(ToEntry).ToList();
    }

    /// <summary>The oldest stored record's document (its storage stamps tell its age), or null when empty.</summary>
    public BsonDocument? Oldest() => _records.Query().OrderBy("_id").Limit(1).FirstOrDefault();

    /// <summary>Notes records the broker acknowledged: from now on they are not backlog and not read again.</summary>
    public void Acknowledge(IEnumerable<long> ids) => _acknowledged.UnionWith(ids);

    /// <summary>
    /// Deletes the acknowledged records, in one transaction; with <paramref name="archive"/>, the same transaction
    /// moves them to the <see cref="Archive"/>, stamped by <paramref name="clock"/>.
    /// </summary>
    public void DeleteAcknowledged(bool archive, RecordClock clock)
    {
        if (_acknowledged.Count == 0) return;
        if (archive) Archive.Prepare();
        _db.BeginTrans();
        try
        {
            long bytes = 0, count = 0;
            foreach (long id in _acknowledged)
            {
                var doc = _records.FindById(id);
                if (doc is null) continue;
                bytes += doc["b"].AsInt32;
                if (archive) Archive.Keep(doc, clock);
                _records.Delete(id);
                count++;
            }
            SetMeta("bytes", Bytes - bytes);
            _db.Commit();
            Archive.Committed();
            Bytes -= bytes;
            Count -= count;
            _acknowledged.Clear();
        }
        catch
        {
            Archive.RolledBack();
            TryRollback();
            throw;
        }
    }

    /// <summary>
    /// The camera's records from <paramref name="from"/> to <paramref name="to"/> still in the queue: those the broker
    /// acknowledged (not deleted yet) and the seqs of those still waiting to be published.
    /// </summary>
    public (IReadOnlyList<OutboxEntry> Acknowledged, IReadOnlyList<long> Waiting) FindQueued(string camera, long from, long to)
    {
        var acknowledged = new List<OutboxEntry>();
        var waiting = new List<long>();
        // No index on the queue for this: it is asked only for seqs missing from the archive (rare), the queue is short
        // while the device is online, and every insert would pay for one.
        foreach (var doc in _records.Find(Query.And(Query.EQ("cam", camera), Query.Between("seq", from, to))))
        {
            if (!string.Equals(doc["cam"].AsString, camera, StringComparison.Ordinal)) continue; // LiteDB compares text ignoring case
            if (_acknowledged.Contains(doc["_id"].AsInt64)) acknowledged.Add(ToEntry(doc));
            else waiting.Add(doc["seq"].AsInt64);
        }
        return (acknowledged, waiting);
    }

    /// <summary>
    /// Deletes, in one transaction, the oldest records of the next batch while <paramref name="drop"/> says so; it
    /// sees <see cref="Count"/> and <see cref="Bytes"/> fall with each one. Acknowledged records go without loss; the
    /// others are retention's, and <paramref name="droppedBefore"/> plus them is stored as its count.
    /// </summary>
    public DroppedBatch DropOldest(Func<BsonDocument, bool> drop, long droppedBefore)
    {
        if (Count <= 0) return new DroppedBatch([], More: false);
        var batch = _records.Query().OrderBy("_id").Limit(DropBatch).ToList();
        long count = Count, bytes = Bytes;
        int take = 0;
        var lost = new List<(string, long)>();
        try
        {
            foreach (var doc in batch)
            {
                if (!drop(doc)) break;
                take++;
                Count--;
                Bytes -= doc["b"].AsInt32;
                // One that reached the broker already is no loss.
                if (!_acknowledged.Contains(doc["_id"].AsInt64)) lost.Add((doc["cam"].AsString, doc["seq"].AsInt64));
            }
            if (take == 0) return new DroppedBatch([], More: false);
            _db.BeginTrans();
            for (int i = 0; i < take; i++) _records.Delete(batch[i]["_id"]);
            SetMeta("bytes", Bytes);
            SetMeta("dropped", droppedBefore + lost.Count);
            _db.Commit();
        }
        catch
        {
            (Count, Bytes) = (count, bytes);
            TryRollback();
            throw;
        }
        for (int i = 0; i < take; i++) _acknowledged.Remove(batch[i]["_id"].AsInt64);
        return new DroppedBatch(lost, More: take == batch.Count && Count > 0);
    }

    private void TryRollback()
    {
        try { _db.Rollback(); }
        catch (Exception ex) when (OutboxFile.IsStorageFailure(ex)) { Broken = true; }
    }

    private static (LiteDatabase, ILiteCollection<BsonDocument>, ILiteCollection<BsonDocument>, ILiteCollection<BsonDocument>, ILiteCollection<BsonDocument>) OpenCollections(string path)
    {
        var db = OutboxFile.Open(path, Records, Sequences, Meta, Checkpoints, OutboxArchive.Collection);
        return (db, db.GetCollection(Records, BsonAutoId.Int64), db.GetCollection(Sequences), db.GetCollection(Meta), db.GetCollection(Checkpoints));
    }

    private void LoadCheckpointStarts(IReadOnlyList<(string Id, CountRecord? Record)> checkpoints)
    {
        _checkpointStarts.Clear();
        foreach (var (_, record) in checkpoints)
            if (record is not null) _checkpointStarts[record.CameraId] = record.WindowStart.UtcDateTime;
    }

    // LiteDB compares text ids ignoring case: hex keeps camera ids "Door" and "door" apart.
    private static string CheckpointId(string camera) => Convert.ToHexStringLower(System.Text.Encoding.UTF8.GetBytes(camera));

    private long MetaValue(string key) => _meta.FindById(key)?["n"].AsInt64 ?? 0;

    private void SetMeta(string key, long value) => _meta.Upsert(new BsonDocument { ["_id"] = key, ["n"] = value });

    private static OutboxEntry ToEntry(BsonDocument d) =>
        new(d["_id"].AsInt64, d["cam"].AsString, d["seq"].AsInt64, d["mid"].AsString, d["at"].AsDateTime.ToUniversalTime(), d["p"].AsString);

    /// <summary>Closes the database (LiteDB replays its log at the next open).</summary>
    public void Dispose() => _db.Dispose();
}

