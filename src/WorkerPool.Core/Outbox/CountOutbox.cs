using System.Threading.Channels;
using LiteDB;
using Microsoft.Extensions.Logging;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Counting;
using WorkerPool.Diagnostics;

namespace WorkerPool.Outbox;

/// <summary>
/// The store-and-forward queue (LiteDB): a count record gets its message id and per-camera sequence number when it
/// is counted, is written durably before anything tries to send it, and is deleted only after the broker
/// acknowledged it; the publisher reads the oldest first. When storage fails (a full disk, a failing card) records
/// wait in memory, in order, and are written as soon as it works again. Every loss is durable and visible: a record
/// lost in memory leaves a sequence gap and counts in <see cref="OutboxStats.LostUnstored"/>, one dropped by
/// retention leaves a gap and counts in <see cref="OutboxStats.DroppedByRetention"/>. A database that cannot be
/// opened is moved aside and replaced. Reading the state (<see cref="Stats"/>) never throws. Thread-safe.
/// </summary>
public sealed class CountOutbox : IDisposable
{
    private const string Records = "outbox", Sequences = "seq", Meta = "meta";
    private static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StuckAfter = TimeSpan.FromSeconds(5);
    private readonly object _lock = new();
    private readonly string _path;
    private readonly OutboxOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RecordClock _clock;
    private readonly SequenceLedger _ledger;
    private readonly Queue<CountRecord> _pending = new();
    private readonly HashSet<long> _undeleted = [];
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ITimer _retry;
    private LiteDatabase _db;
    private ILiteCollection<BsonDocument> _records, _sequences, _meta;
    private bool _broken, _disposed;
    private long _count, _bytes;
    private double? _oldestAge;
    private string? _writeError, _readError;
    private OutboxEntry? _lastStored;
    private long _busySince; // monotonic timestamp of the storage call in progress, 0 when none

    /// <summary>Tests only: runs inside the storage lock before each write, to stand in for a store that stops answering.</summary>
    internal Action? BeforeWrite { get; set; }

    private CountOutbox(string path, OutboxOptions options, TimeProvider time, ILogger logger, IHostClock clock, string? quarantined)
    {
        _path = path;
        _options = options;
        _time = time;
        _logger = logger;
        _clock = new RecordClock(clock, time);
        Quarantined = quarantined;
        (_db, _records, _sequences, _meta) = OpenCollections(path);
        try
        {
            _count = _records.LongCount();
            _bytes = MetaValue("bytes");
            _ledger = SequenceLedger.Open(path + ".seq");
            // The database's marks are committed with its records: they count even if the ledger missed its last write.
            foreach (var doc in _sequences.FindAll()) _ledger.MarkStored(doc["_id"].AsString, doc["last"].AsInt64);
            _ledger.AtLeastDropped(MetaValue("dropped"));
        }
        catch
        {
            _db.Dispose(); // the caller may quarantine the file and open a fresh one
            throw;
        }
        foreach (var (camera, from, to) in _ledger.ReconcileUnstored()) Log.OutboxLostAtStart(logger, to - from + 1, camera, from, to);
        SaveLedger();
        if (_count > 0) _signal.Writer.TryWrite(true);
        _retry = time.CreateTimer(_ => Retry(), null, RetryEvery, RetryEvery);
    }

    /// <summary>Where a corrupt database was moved at start, or null.</summary>
    public string? Quarantined { get; }

    /// <summary>
    /// Opens (or creates) the outbox at <paramref name="path"/>. A file that is not a readable LiteDB database is
    /// renamed to <c>PATH.corrupt-yyyyMMddTHHmmssZ</c>, a fresh one is created, and the event is logged.
    /// </summary>
    /// <param name="clock">The host's clock state (default: the kernel's); it marks records and decides how their age is measured.</param>
    public static CountOutbox Open(string path, OutboxOptions options, TimeProvider time, ILogger logger, IHostClock? clock = null)
    {
        clock ??= LinuxHostClock.Instance;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        try
        {
            return new CountOutbox(path, options, time, logger, clock, quarantined: null);
        }
        catch (Exception ex) when (OutboxFile.IsCorruption(ex))
        {
            string aside = OutboxFile.Quarantine(path, time);
            Log.OutboxQuarantined(logger, ex, path, aside);
            return new CountOutbox(path, options, time, logger, clock, aside);
        }
    }

    /// <summary>
    /// Stores a record durably, giving it a message id (if it has none) and the camera's next sequence number.
    /// Returns the stored entry, or null when storage failed: then the record is held in memory and written,
    /// in order, as soon as storage works again.
    /// </summary>
    public OutboxEntry? Append(CountRecord record) => AppendRange([record]) > 0 ? _lastStored : null;

    /// <summary>
    /// Stores several records in one durable transaction (one fsync), in order. Returns how many were stored now;
    /// on a storage failure they are held in memory and written, in order, before anything newer.
    /// </summary>
    public int AppendRange(IEnumerable<CountRecord> records) => Exclusive(() =>
    {
        bool synced = _clock.Synchronized;
        foreach (var record in records)
        {
            if (string.IsNullOrEmpty(record.MessageId)) record.MessageId = Guid.NewGuid().ToString();
            record.Seq = _ledger.Allocate(record.CameraId);
            record.ClockSynced = synced;
            _pending.Enqueue(record);
        }
        // Numbers given out are durable before the records are: one lost from memory leaves a gap, never a reuse.
        SaveLedger();
        int stored = TryPersistPending();
        if (_pending.Count > _options.MaxPendingInMemory)
        {
            while (_pending.Count > _options.MaxPendingInMemory)
            {
                var lost = _pending.Dequeue();
                _ledger.MarkLost(lost.CameraId, lost.Seq);
                Log.OutboxPendingOverflow(_logger, lost.CameraId, lost.Seq, _ledger.Lost);
            }
            SaveLedger();
        }
        _signal.Writer.TryWrite(true);
        return stored;
    });

    /// <summary>
    /// The oldest stored records, in insertion order (per camera that is sequence order), without those already
    /// acknowledged but not yet deleted. Throws <see cref="OutboxUnavailableException"/> when storage cannot be read.
    /// </summary>
    public IReadOnlyList<OutboxEntry> ReadOldest(int max) => Exclusive<IReadOnlyList<OutboxEntry>>(() =>
    {
        try
        {
            EnsureOpen();
            TryRetryDeletes();
            var docs = _records.Query().OrderBy("_id").Limit(max + _undeleted.Count).ToList();
            ReadWorked();
            return docs.Where(d => !_undeleted.Contains(d["_id"].AsInt64)).Take(max).Select(ToEntry).ToList();
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            throw new OutboxUnavailableException(ReadFailed(ex), ex);
        }
    });

    /// <summary>
    /// Deletes records the broker acknowledged. Never throws: when storage fails, the ids are kept in memory, left
    /// out of <see cref="ReadOldest"/> (so nothing goes out twice needlessly) and deleted when storage works again.
    /// </summary>
    public void Delete(IReadOnlyCollection<long> ids)
    {
        if (ids.Count == 0) return;
        Exclusive(() =>
        {
            _undeleted.UnionWith(ids);
            Quietly(() =>
            {
                TryRetryDeletes();
                ReadWorked();
            });
        });
    }

    /// <summary>Resolves when a record may be waiting (set by every append; coalesced).</summary>
    public ValueTask<bool> WaitForRecordsAsync(CancellationToken cancellationToken) => _signal.Reader.ReadAsync(cancellationToken);

    /// <summary>
    /// Backlog, age, losses and errors for the heartbeat and health. Never throws and never waits long: while a
    /// storage call has not returned (a disk that stopped answering), the last known figures come back with how long
    /// it has been stuck.
    /// </summary>
    public OutboxStats Stats()
    {
        if (!Monitor.TryEnter(_lock, TimeSpan.FromMilliseconds(250)))
        {
            long since = Interlocked.Read(ref _busySince);
            double stuck = since == 0 ? 0 : Math.Round(_time.GetElapsedTime(since).TotalSeconds, 1);
            // The figures as they were before the call that holds the lock (plain reads: it may be changing them).
            var last = Snapshot();
            // A write on an SD card may take a second or two (several fsyncs): that is not a fault yet.
            return stuck < StuckAfter.TotalSeconds ? last : last with { LastError = $"storage has not answered for {stuck:0} s", StuckSeconds = stuck };
        }
        try
        {
            if (!_broken && !_disposed)
            {
                Interlocked.Exchange(ref _busySince, _time.GetTimestamp()); // this read may hang as well
                try
                {
                    var oldest = _records.Query().OrderBy("_id").Limit(1).FirstOrDefault();
                    _oldestAge = oldest is null ? 0 : _clock.AgeSeconds(oldest) is { } age ? Math.Round(age, 1) : null;
                }
                catch (Exception ex) when (IsStorageFailure(ex))
                {
                    ReadFailed(ex);
                }
                finally
                {
                    Interlocked.Exchange(ref _busySince, 0);
                }
            }
            return Snapshot();
        }
        finally
        {
            Monitor.Exit(_lock);
        }
    }

    private OutboxStats Snapshot() => new(_count - _undeleted.Count, _oldestAge, _bytes, _ledger.Dropped, _pending.Count, _ledger.Lost,
        _writeError ?? _readError, Quarantined);

    /// <summary>Applies the retention limits now (also applied after every write). Drops the oldest first, counted and logged.</summary>
    public void EnforceLimits() => Exclusive(() => Quietly(() =>
    {
        EnsureRoom();
        ApplyLimits();
    }));

    /// <summary>
    /// Runs a housekeeping step that has no caller to throw to (deletes, retention, a retry): the store is reopened
    /// first if it failed, and a failure is reported through <see cref="Stats"/> and the log.
    /// </summary>
    private void Quietly(Action step)
    {
        try
        {
            EnsureOpen();
            step();
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            ReadFailed(ex);
        }
    }

    private void Exclusive(Action operation) => Exclusive(() =>
    {
        operation();
        return 0;
    });

    /// <summary>
    /// Runs one storage operation under the lock, noting when it started: LiteDB waits forever on its writer when
    /// a write fails under it, and <see cref="Stats"/> must still answer (and say so) then.
    /// </summary>
    private T Exclusive<T>(Func<T> operation)
    {
        lock (_lock)
        {
            Interlocked.Exchange(ref _busySince, _time.GetTimestamp());
            try { return operation(); }
            finally { Interlocked.Exchange(ref _busySince, 0); }
        }
    }

    /// <summary>
    /// Refuses a write while free space is below <see cref="OutboxOptions.MinFreeBytes"/>. Every write checks it
    /// (appends, deletes, retention): LiteDB 5 that meets ENOSPC leaves its streams disposed, or waits forever on
    /// its log writer, so it must never get there.
    /// </summary>
    private void EnsureRoom()
    {
        BeforeWrite?.Invoke();
        if (SystemMetrics.DiskFree(_path) is { } free && free < _options.MinFreeBytes)
            throw new DiskAlmostFullException($"disk almost full: {free} bytes free for {_path} (outbox.minFreeBytes is {_options.MinFreeBytes})");
    }

    /// <summary>Writes what waits in memory, once storage lets it; returns how many were stored (0 while it still cannot).</summary>
    private int TryPersistPending()
    {
        int stored;
        try
        {
            stored = PersistPending();
            if (_writeError is not null) Log.OutboxRecovered(_logger, stored);
            _writeError = null;
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            // LiteDB's file streams stay failed after an error such as ENOSPC: reopen before the next write.
            _broken |= ex is not DiskAlmostFullException;
            if (_writeError is null) Log.OutboxWriteFailed(_logger, ex, _pending.Count); // once per failure, not every retry
            _writeError = ex.Message;
            return 0;
        }
        // Stored: whatever retention then meets is reported on its own, not as a failure to store these.
        Quietly(() =>
        {
            TryRetryDeletes(); // acknowledged records go first: they are no loss
            ApplyLimits();
        });
        return stored;
    }

    /// <summary>Writes every pending record in one transaction, then forces it to disk.</summary>
    private int PersistPending()
    {
        if (_pending.Count == 0) return 0;
        // Refuse before LiteDB hits ENOSPC mid-transaction: records wait in memory until there is room.
        EnsureRoom();
        EnsureOpen();
        var last = new Dictionary<string, long>(StringComparer.Ordinal);
        var docs = new List<BsonDocument>(_pending.Count);
        long bytes = 0;
        foreach (var record in _pending)
        {
            last[record.CameraId] = record.Seq;
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
            _clock.Stamp(doc);
            docs.Add(doc);
        }
        _db.BeginTrans();
        try
        {
            _records.InsertBulk(docs);
            foreach (var (camera, seq) in last) _sequences.Upsert(new BsonDocument { ["_id"] = camera, ["last"] = seq });
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
        foreach (var (camera, seq) in last) _ledger.MarkStored(camera, seq);
        _count += docs.Count;
        _bytes += bytes;
        _lastStored = ToEntry(docs[^1]);
        _pending.Clear();
        try
        {
            // Commit reaches the OS; checkpoint and fsync reach the disk (power cuts, not only crashes).
            _db.Checkpoint();
            Fsync.Path(_path);
        }
        catch (Exception ex) when (IsStorageFailure(ex))
        {
            Log.OutboxSyncFailed(_logger, ex);
        }
        SaveLedger();
        return docs.Count;
    }

    /// <summary>Drops the oldest records beyond the age, count and size limits (the database must be open).</summary>
    private void ApplyLimits()
    {
        double maxAge = _options.MaxAgeHours * 3600;
        long byAge = DropOldestWhile(doc => _clock.AgeSeconds(doc) > maxAge);
        long bySize = DropOldestWhile(_ => _count > _options.MaxRecords || _bytes > _options.MaxBytes);
        if (byAge + bySize == 0) return;
        SaveLedger();
        Log.OutboxRetentionDropped(_logger, byAge, bySize, _ledger.Dropped);
    }

    private long DropOldestWhile(Func<BsonDocument, bool> condition)
    {
        long dropped = 0;
        while (_count > 0)
        {
            var batch = _records.Query().OrderBy("_id").Limit(256).ToList();
            long count = _count, bytes = _bytes;
            int take = 0, delivered = 0;
            try
            {
                foreach (var doc in batch)
                {
                    if (!condition(doc)) break;
                    take++;
                    // Keep the running totals current so size conditions see each removal.
                    _count--;
                    _bytes -= doc["b"].AsInt32;
                    if (_undeleted.Contains(doc["_id"].AsInt64)) delivered++; // acknowledged already: no loss
                }
                if (take == 0) break;
                _db.BeginTrans();
                for (int i = 0; i < take; i++) _records.Delete(batch[i]["_id"]);
                SetMeta("bytes", _bytes);
                SetMeta("dropped", _ledger.Dropped + take - delivered);
                _db.Commit();
            }
            catch
            {
                (_count, _bytes) = (count, bytes);
                TryRollback();
                throw;
            }
            for (int i = 0; i < take; i++) _undeleted.Remove(batch[i]["_id"].AsInt64);
            _ledger.AddDropped(take - delivered);
            dropped += take - delivered;
            if (take < batch.Count) break;
        }
        return dropped;
    }

    /// <summary>
    /// Deletes the acknowledged records still waiting to be deleted (the database must be open). Below the free-space
    /// margin they simply wait: reading and publishing go on, and nothing goes out twice.
    /// </summary>
    private void TryRetryDeletes()
    {
        if (_undeleted.Count == 0) return;
        try { EnsureRoom(); }
        catch (DiskAlmostFullException ex)
        {
            if (_writeError is null) Log.OutboxWriteFailed(_logger, ex, _pending.Count);
            _writeError ??= ex.Message;
            return;
        }
        _db.BeginTrans();
        try
        {
            long bytes = 0, count = 0;
            foreach (long id in _undeleted)
            {
                var doc = _records.FindById(id);
                if (doc is null) continue;
                bytes += doc["b"].AsInt32;
                _records.Delete(id);
                count++;
            }
            SetMeta("bytes", _bytes - bytes);
            _db.Commit();
            _bytes -= bytes;
            _count -= count;
            _undeleted.Clear();
        }
        catch
        {
            TryRollback();
            throw;
        }
    }

    /// <summary>Every few seconds while something is wrong: held records are written, a failed store reopened.</summary>
    private void Retry()
    {
        // A store that is stuck keeps the lock: let it be rather than pile up timer threads behind it.
        if (Interlocked.Read(ref _busySince) != 0) return;
        // A timer callback that throws ends the process: whatever a damaged store throws is reported instead.
        try { RetryOnce(); }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            lock (_lock) ReadFailed(ex);
        }
    }

    private void RetryOnce()
    {
        Exclusive(() =>
        {
            if (_disposed) return;
            if (_pending.Count > 0)
            {
                TryPersistPending();
                if (_pending.Count == 0) _signal.Writer.TryWrite(true);
            }
            else if (_broken || _undeleted.Count > 0 || _readError is not null || _writeError is not null)
            {
                Quietly(() =>
                {
                    TryRetryDeletes();
                    ReadWorked();
                    if (_undeleted.Count == 0 && _writeError is not null)
                    {
                        _writeError = null; // the deletes that waited for room are done
                        Log.OutboxRecovered(_logger, 0);
                    }
                });
            }
        });
    }

    private void SaveLedger()
    {
        try { _ledger.Save(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.OutboxLedgerFailed(_logger, ex);
        }
    }

    private string ReadFailed(Exception ex)
    {
        _broken |= ex is not DiskAlmostFullException; // LiteDB's streams stay failed after a real error: reopen
        string message = ex is ObjectDisposedException ? "storage failed earlier and is being reopened" : ex.Message;
        if (_readError is null) Log.OutboxReadFailed(_logger, message);
        _readError = message;
        return message;
    }

    private void ReadWorked()
    {
        if (_readError is null) return;
        _readError = null;
        Log.OutboxReadable(_logger);
    }

    /// <summary>Reopens the database after a storage error left LiteDB's streams failed.</summary>
    private void EnsureOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_broken) return;
        try { _db.Dispose(); }
        catch (Exception ex) when (IsStorageFailure(ex)) { } // it is being replaced; its log replays on open
        (_db, _records, _sequences, _meta) = OpenCollections(_path);
        _count = _records.LongCount();
        _bytes = MetaValue("bytes");
        _broken = false;
    }

    private void TryRollback()
    {
        try { _db.Rollback(); }
        catch (Exception ex) when (IsStorageFailure(ex)) { _broken = true; }
    }

    private static (LiteDatabase, ILiteCollection<BsonDocument>, ILiteCollection<BsonDocument>, ILiteCollection<BsonDocument>) OpenCollections(string path)
    {
        var db = OutboxFile.Open(path, Records, Sequences, Meta);
        return (db, db.GetCollection(Records, BsonAutoId.Int64), db.GetCollection(Sequences), db.GetCollection(Meta));
    }

    private long MetaValue(string key) => _meta.FindById(key)?["n"].AsInt64 ?? 0;

    private void SetMeta(string key, long value) => _meta.Upsert(new BsonDocument { ["_id"] = key, ["n"] = value });

    private static OutboxEntry ToEntry(BsonDocument d) =>
        new(d["_id"].AsInt64, d["cam"].AsString, d["seq"].AsInt64, d["mid"].AsString, d["at"].AsDateTime.ToUniversalTime(), d["p"].AsString);

    /// <summary>
    /// What a failing store throws: I/O errors (ENOSPC, EIO), LiteDB's own, and the disposed streams LiteDB leaves
    /// behind after one of those. Anything else is a bug and is not hidden.
    /// </summary>
    private static bool IsStorageFailure(Exception ex) =>
        ex is IOException or LiteException or UnauthorizedAccessException or ObjectDisposedException;

    /// <summary>Writes what waits in memory one last time (what cannot be written is counted lost at the next start) and closes.</summary>
    public void Dispose()
    {
        _retry.Dispose();
        // A store stuck in a write holds the lock for good: shut down without it rather than hang the service's stop.
        if (!Monitor.TryEnter(_lock, TimeSpan.FromSeconds(10))) { Log.OutboxStuckAtStop(_logger); return; }
        try
        {
            if (_disposed) return;
            if (_pending.Count > 0) TryPersistPending();
            if (_pending.Count > 0) Log.OutboxLostAtStop(_logger, _pending.Count);
            _disposed = true;
            try { _db.Dispose(); }
            catch (Exception ex) when (IsStorageFailure(ex)) { Log.OutboxSyncFailed(_logger, ex); }
            _ledger.Dispose();
        }
        finally
        {
            Monitor.Exit(_lock);
        }
    }
}

/// <summary>The outbox refused to write because free disk space is below <see cref="OutboxOptions.MinFreeBytes"/>.</summary>
public sealed class DiskAlmostFullException(string message) : IOException(message);

/// <summary>The outbox's storage cannot be read now (the publisher waits and tries again).</summary>
public sealed class OutboxUnavailableException(string message, Exception inner) : IOException(message, inner);
