using System.Threading.Channels;
using LiteDB;
using Microsoft.Extensions.Logging;
using WorkerPool.Config;
using WorkerPool.Counting;
using WorkerPool.Diagnostics;

namespace WorkerPool.Outbox;

/// <summary>
/// The store-and-forward queue (LiteDB): a count record is written durably, with its message id and per-camera
/// sequence number, before anything tries to send it; the publisher reads the oldest first and deletes a record
/// only after the broker acknowledged it. Retention limits drop the oldest records, counted and logged. A
/// database that cannot be opened is moved aside and replaced. Thread-safe.
/// </summary>
public sealed class CountOutbox : IDisposable
{
    private const int MaxPendingInMemory = 10_000;
    private const string Records = "outbox", Sequences = "seq", Meta = "meta";
    private readonly object _lock = new();
    private readonly string _path;
    private readonly OutboxOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SequenceFile _sequenceFile;
    private readonly Dictionary<string, long> _lastSeq = new(StringComparer.Ordinal);
    private readonly Queue<CountRecord> _pending = new();
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private LiteDatabase _db;
    private ILiteCollection<BsonDocument> _records, _sequences, _meta;
    private bool _broken;
    private long _count, _bytes, _dropped;
    private string? _lastError;
    private OutboxEntry? _lastStored;

    private CountOutbox(string path, OutboxOptions options, TimeProvider time, ILogger logger, string? quarantined)
    {
        _path = path;
        _options = options;
        _time = time;
        _logger = logger;
        Quarantined = quarantined;
        _sequenceFile = new SequenceFile(path + ".seq");
        (_db, _records, _sequences, _meta) = OpenCollections(path);
        _count = _records.LongCount();
        _bytes = MetaValue("bytes");
        _dropped = MetaValue("dropped");
        foreach (var doc in _sequences.FindAll()) _lastSeq[doc["_id"].AsString] = doc["last"].AsInt64;
        // The sidecar survives a database that had to be quarantined, so sequence numbers are never reused.
        foreach (var (camera, last) in _sequenceFile.Read())
            if (last > _lastSeq.GetValueOrDefault(camera)) _lastSeq[camera] = last;
        if (_count > 0) _signal.Writer.TryWrite(true);
    }

    /// <summary>Where a corrupt database was moved at start, or null.</summary>
    public string? Quarantined { get; }

    /// <summary>
    /// Opens (or creates) the outbox at <paramref name="path"/>. A file that is not a readable LiteDB database is
    /// renamed to <c>PATH.corrupt-yyyyMMddTHHmmssZ</c>, a fresh one is created, and the event is logged.
    /// </summary>
    public static CountOutbox Open(string path, OutboxOptions options, TimeProvider time, ILogger logger)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        try
        {
            return new CountOutbox(path, options, time, logger, quarantined: null);
        }
        catch (Exception ex) when (IsCorruption(ex))
        {
            string aside = $"{path}.corrupt-{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}";
            File.Move(path, aside, overwrite: true);
            string log = LogFileOf(path);
            if (File.Exists(log)) File.Move(log, LogFileOf(aside), overwrite: true);
            Log.OutboxQuarantined(logger, ex, path, aside);
            return new CountOutbox(path, options, time, logger, aside);
        }
    }

    /// <summary>
    /// Stores a record durably, giving it a message id (if it has none) and the camera's next sequence number.
    /// Returns the stored entry, or null when storage failed: then the record is held in memory and written,
    /// in order, before the next one.
    /// </summary>
    public OutboxEntry? Append(CountRecord record) => AppendRange([record]) > 0 ? _lastStored : null;

    /// <summary>
    /// Stores several records in one durable transaction (one fsync), in order. Returns how many were stored now;
    /// on a storage failure the rest are held in memory and written, in order, before the next append.
    /// </summary>
    public int AppendRange(IEnumerable<CountRecord> records)
    {
        lock (_lock)
        {
            foreach (var record in records)
            {
                if (string.IsNullOrEmpty(record.MessageId)) record.MessageId = Guid.NewGuid().ToString();
                _pending.Enqueue(record);
            }
            while (_pending.Count > MaxPendingInMemory)
            {
                var lost = _pending.Dequeue();
                _dropped++;
                Log.OutboxPendingOverflow(_logger, lost.CameraId, lost.MessageId);
            }
            int stored;
            try
            {
                stored = PersistPending();
                _lastError = null;
            }
            catch (Exception ex) when (ex is IOException or LiteException or UnauthorizedAccessException)
            {
                // LiteDB's file streams stay failed after an error such as ENOSPC: reopen before the next write.
                _broken |= ex is not DiskAlmostFullException;
                _lastError = ex.Message;
                Log.OutboxWriteFailed(_logger, ex, _pending.Count);
                return 0;
            }
            EnforceLimits();
            _signal.Writer.TryWrite(true);
            return stored;
        }
    }

    /// <summary>The oldest stored records, in insertion order (per camera that is sequence order).</summary>
    public IReadOnlyList<OutboxEntry> ReadOldest(int max)
    {
        lock (_lock)
        {
            EnsureOpen();
            return _records.Query().OrderBy("_id").Limit(max).ToList().Select(ToEntry).ToList();
        }
    }

    /// <summary>Deletes records the broker acknowledged (throws <see cref="IOException"/> when storage fails).</summary>
    public void Delete(IReadOnlyCollection<long> ids)
    {
        if (ids.Count == 0) return;
        lock (_lock)
        {
            EnsureOpen();
            _db.BeginTrans();
            try
            {
                long bytes = 0;
                foreach (long id in ids)
                {
                    var doc = _records.FindById(id);
                    if (doc is null) continue;
                    bytes += doc["b"].AsInt32;
                    _records.Delete(id);
                    _count--;
                }
                _bytes -= bytes;
                SetMeta("bytes", _bytes);
                _db.Commit();
            }
            catch (Exception ex) when (ex is IOException or LiteException)
            {
                _broken = true;
                TryRollback();
                throw;
            }
        }
    }

    /// <summary>Resolves when a record may be waiting (set by every append; coalesced).</summary>
    public ValueTask<bool> WaitForRecordsAsync(CancellationToken cancellationToken) => _signal.Reader.ReadAsync(cancellationToken);

    /// <summary>Backlog, age, drops and errors for the heartbeat.</summary>
    public OutboxStats Stats()
    {
        lock (_lock)
        {
            var oldest = _records.Query().OrderBy("_id").Limit(1).FirstOrDefault();
            double age = oldest is null ? 0 : Math.Max(0, (_time.GetUtcNow().UtcDateTime - oldest["at"].AsDateTime.ToUniversalTime()).TotalSeconds);
            return new OutboxStats(_count, Math.Round(age, 1), _bytes, _dropped, _pending.Count, _lastError, Quarantined);
        }
    }

    /// <summary>Applies the age limit now (also applied on every append).</summary>
    public void EnforceLimits()
    {
        lock (_lock)
        {
            var cutoff = _time.GetUtcNow().UtcDateTime - TimeSpan.FromHours(_options.MaxAgeHours);
            long byAge = DropOldestWhile(doc => doc["at"].AsDateTime.ToUniversalTime() < cutoff);
            long bySize = DropOldestWhile(_ => _count > _options.MaxRecords || _bytes > _options.MaxBytes);
            if (byAge + bySize > 0) Log.OutboxRetentionDropped(_logger, byAge, bySize, _dropped);
        }
    }

    /// <summary>Writes every pending record in one transaction, then forces it to disk.</summary>
    private int PersistPending()
    {
        if (_pending.Count == 0) return 0;
        // Refuse before LiteDB hits ENOSPC mid-transaction: records wait in memory until there is room.
        if (SystemMetrics.DiskFree(_path) is { } free && free < _options.MinFreeBytes)
            throw new DiskAlmostFullException($"disk almost full: {free} bytes free for {_path} (outbox.minFreeBytes is {_options.MinFreeBytes})");
        EnsureOpen();
        var seqs = new Dictionary<string, long>(_lastSeq, StringComparer.Ordinal);
        var docs = new List<BsonDocument>(_pending.Count);
        long bytes = 0;
        var now = _time.GetUtcNow().UtcDateTime;
        foreach (var record in _pending)
        {
            long seq = seqs.GetValueOrDefault(record.CameraId) + 1;
            seqs[record.CameraId] = seq;
            record.Seq = seq;
            string payload = CountJsonContext.Serialize(record);
            int size = System.Text.Encoding.UTF8.GetByteCount(payload);
            bytes += size;
            docs.Add(new BsonDocument
            {
                ["cam"] = record.CameraId,
                ["seq"] = seq,
                ["mid"] = record.MessageId,
                ["at"] = now,
                ["p"] = payload,
                ["b"] = size,
            });
        }
        _db.BeginTrans();
        try
        {
            _records.InsertBulk(docs);
            foreach (var (camera, seq) in seqs)
                if (seq != _lastSeq.GetValueOrDefault(camera)) _sequences.Upsert(new BsonDocument { ["_id"] = camera, ["last"] = seq });
            SetMeta("bytes", _bytes + bytes);
            _db.Commit();
        }
        catch
        {
            TryRollback();
            throw;
        }
        // Committed: the records are stored (LiteDB replays its log after a crash). Account for them before the
        // steps below, which may fail without un-storing anything.
        foreach (var (camera, seq) in seqs) _lastSeq[camera] = seq;
        _count += docs.Count;
        _bytes += bytes;
        _lastStored = ToEntry(docs[^1]);
        _pending.Clear();
        try
        {
            // Commit reaches the OS; checkpoint and fsync reach the disk (power cuts, not only crashes).
            _db.Checkpoint();
            Fsync.Path(_path);
            _sequenceFile.Write(_lastSeq);
        }
        catch (Exception ex) when (ex is IOException or LiteException or UnauthorizedAccessException)
        {
            Log.OutboxSyncFailed(_logger, ex);
        }
        return docs.Count;
    }

    private long DropOldestWhile(Func<BsonDocument, bool> condition)
    {
        long dropped = 0;
        while (_count > 0)
        {
            var batch = _records.Query().OrderBy("_id").Limit(256).ToList();
            int take = 0;
            long bytes = 0;
            foreach (var doc in batch)
            {
                if (!condition(doc)) break;
                take++;
                bytes += doc["b"].AsInt32;
                // Keep the running totals current so size conditions see each removal.
                _count--;
                _bytes -= doc["b"].AsInt32;
            }
            if (take == 0) break;
            _db.BeginTrans();
            for (int i = 0; i < take; i++) _records.Delete(batch[i]["_id"]);
            _dropped += take;
            SetMeta("bytes", _bytes);
            SetMeta("dropped", _dropped);
            _db.Commit();
            dropped += take;
            if (take < batch.Count) break;
        }
        return dropped;
    }

    /// <summary>Reopens the database after a storage error left LiteDB's streams failed.</summary>
    private void EnsureOpen()
    {
        if (!_broken) return;
        try { _db.Dispose(); }
        catch (Exception ex) when (ex is IOException or LiteException) { } // it is being replaced; its log replays on open
        (_db, _records, _sequences, _meta) = OpenCollections(_path);
        _count = _records.LongCount();
        _bytes = MetaValue("bytes");
        _broken = false;
    }

    private void TryRollback()
    {
        try { _db.Rollback(); }
        catch (Exception ex) when (ex is IOException or LiteException) { _broken = true; }
    }

    private static (LiteDatabase, ILiteCollection<BsonDocument>, ILiteCollection<BsonDocument>, ILiteCollection<BsonDocument>) OpenCollections(string path)
    {
        var db = OpenDatabase(path);
        return (db, db.GetCollection(Records, BsonAutoId.Int64), db.GetCollection(Sequences), db.GetCollection(Meta));
    }

    private long MetaValue(string key) => _meta.FindById(key)?["n"].AsInt64 ?? 0;

    private void SetMeta(string key, long value) => _meta.Upsert(new BsonDocument { ["_id"] = key, ["n"] = value });

    private static OutboxEntry ToEntry(BsonDocument d) =>
        new(d["_id"].AsInt64, d["cam"].AsString, d["seq"].AsInt64, d["mid"].AsString, d["at"].AsDateTime.ToUniversalTime(), d["p"].AsString);

    private static LiteDatabase OpenDatabase(string path)
    {
        var db = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct, Upgrade = false });
        try
        {
            // Touch every collection: LiteDB reports a damaged file on first use, not on open.
            foreach (var name in new[] { Records, Sequences, Meta }) _ = db.GetCollection(name).LongCount();
            return db;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    private static string LogFileOf(string path) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path) ?? "", System.IO.Path.GetFileNameWithoutExtension(path) + "-log" + System.IO.Path.GetExtension(path));

    private static bool IsCorruption(Exception ex) => ex switch
    {
        // A file held by another process or an unreadable folder is not damage: do not move it aside.
        UnauthorizedAccessException or DirectoryNotFoundException => false,
        IOException io when io.HResult == unchecked((int)0x80070020) => false,
        LiteException or InvalidDataException or IOException or ArgumentException or InvalidCastException
            or IndexOutOfRangeException or OverflowException or FormatException => true,
        _ => false,
    };

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            try { _db.Dispose(); }
            catch (Exception ex) when (ex is IOException or LiteException) { Log.OutboxSyncFailed(_logger, ex); }
        }
    }
}

/// <summary>The outbox refused to write because free disk space is below <see cref="OutboxOptions.MinFreeBytes"/>.</summary>
public sealed class DiskAlmostFullException(string message) : IOException(message);
