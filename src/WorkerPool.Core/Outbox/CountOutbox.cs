using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Diagnostics;

namespace WorkerPool.Outbox;

/// <summary>
/// The store-and-forward queue: a count record gets its message id and per-camera sequence number when it is
/// counted, is written durably before anything tries to send it, and is deleted only after the broker acknowledged
/// it; the publisher reads the oldest first. When storage fails (a full disk, a failing card) records wait in
/// memory, in order, and are written as soon as it works again. Every loss is durable and visible: a record lost in
/// memory leaves a sequence gap and counts in <see cref="OutboxStats.LostUnstored"/>, one dropped by retention leaves
/// a gap and counts in <see cref="OutboxStats.DroppedByRetention"/>; both are noted in <see cref="Losses"/>. Acknowledged
/// records are archived for <see cref="OutboxOptions.ArchiveHours"/>, so that they can be sent again
/// (<see cref="FindDelivered"/>). A database that cannot be opened is moved aside and replaced. Reading the state
/// (<see cref="Stats"/>, <see cref="Losses"/>) never throws. Thread-safe.
/// <para>
/// This class sequences the jobs; each is done by its own part: the records in <see cref="OutboxStore"/>, the
/// numbers in <see cref="SeqAllocator"/>, the acknowledged records kept in <see cref="OutboxArchive"/>, the limits in
/// <see cref="RetentionPolicy"/>, the memory buffer in
/// <see cref="PendingBuffer"/>, the free-space check in <see cref="FreeSpaceGuard"/>, the errors in
/// <see cref="OutboxFaults"/> and a damaged file's quarantine in <see cref="OutboxFile"/>.
/// </para>
/// </summary>
public sealed class CountOutbox : IDisposable
{
    private static readonly TimeSpan RetryEvery = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan StuckAfter = TimeSpan.FromSeconds(5);
    private readonly ILogger _logger;
    private readonly OutboxOptions _options;
    private readonly RecordClock _clock;
    private readonly StorageCalls _calls;
    private readonly OutboxStore _store;
    private readonly SeqAllocator _seqs;
    private readonly RetentionPolicy _retention;
    private readonly PendingBuffer _pending;
    private readonly FreeSpaceGuard _room;
    private readonly OutboxFaults _faults;
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly ITimer _retry;
    // Per camera, the latest checkpoint that could not be kept yet (storage failing): kept as soon as storage
    // works, unless the camera's window closes first. Without it a crossing counted during a storage error would
    // wait for the next change to be checkpointed.
    private readonly Dictionary<string, CountRecord> _unsavedCheckpoints = new(StringComparer.Ordinal);
    private bool _disposed;
    private double? _oldestAge;
    private OutboxEntry? _lastStored;

    /// <summary>The service's outbox, at the config's path.</summary>
    public CountOutbox(DeviceConfig config, TimeProvider time, ILoggerFactory loggers, IHostClock clock)
        : this(config.ResolvePath(config.Outbox.Path), config.Outbox, time, loggers.CreateLogger(LogCategories.Outbox), clock)
    {
    }

    private CountOutbox(string path, OutboxOptions options, TimeProvider time, ILogger logger, IHostClock clock)
    {
        _logger = logger;
        _options = options;
        _clock = new RecordClock(clock, time);
        _calls = new StorageCalls(time);
        _store = OutboxStore.OpenOrQuarantine(path, time, logger, out string? quarantined);
        Quarantined = quarantined;
        try
        {
            _seqs = SeqAllocator.Open(path + ".seq", _store, logger);
        }
        catch
        {
            _store.Dispose();
            throw;
        }
        _room = new FreeSpaceGuard(path, options);
        _retention = new RetentionPolicy(options, _clock, _room, logger);
        _pending = new PendingBuffer(options);
        _faults = new OutboxFaults(logger);
        CloseInterruptedWindows();
        if (_store.Count > 0) _signal.Writer.TryWrite(true);
        _retry = time.CreateTimer(_ => Retry(), null, RetryEvery, RetryEvery);
    }

    /// <summary>Tests only: runs inside the storage lock before each write, to stand in for a store that stops answering.</summary>
    internal Action? BeforeWrite
    {
        get => _room.BeforeWrite;
        set => _room.BeforeWrite = value;
    }

    /// <summary>Where a corrupt database was moved at start, or null.</summary>
    public string? Quarantined { get; }

    /// <summary>
    /// Opens (or creates) the outbox at <paramref name="path"/>. A file that is not a readable LiteDB database is
    /// renamed to <c>PATH.corrupt-yyyyMMddTHHmmssZ</c>, a fresh one is created, and the event is logged.
    /// </summary>
    /// <param name="clock">The host's clock state (default: the kernel's); it marks records and decides how their age is measured.</param>
    public static CountOutbox Open(string path, OutboxOptions options, TimeProvider time, ILogger logger, IHostClock? clock = null) =>
        new(path, options, time, logger, clock ?? LinuxHostClock.Instance);

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
    public int AppendRange(IEnumerable<CountRecord> records) => _calls.Run(() =>
    {
        bool synced = _clock.Synchronized;
        foreach (var record in records)
        {
            _unsavedCheckpoints.Remove(record.CameraId); // its window closed: this record has it all
            _seqs.Number(record);
            // A partial window's times were set when it was checkpointed, by the clock as it was then.
            if (!record.Partial) record.ClockSynced = synced;
            _pending.Add(record);
        }
        // Numbers given out are durable before the records are: one lost from memory leaves a gap, never a reuse.
        _seqs.Save();
        int stored = TryPersistPending();
        var lost = _pending.TakeOverflow();
        if (lost.Count > 0)
        {
            foreach (var record in lost) _seqs.MarkLost(record);
            _seqs.Save();
        }
        _signal.Writer.TryWrite(true);
        return stored;
    });

    /// <summary>
    /// Keeps the open windows' counts so far durably (one transaction, one fsync), each replacing its camera's last
    /// checkpoint; the camera's next stored record deletes it in the same transaction. Never throws: a failure is
    /// reported like a failed write. Nothing is kept while older records wait in memory (storage failing): their
    /// insert would delete these checkpoints.
    /// </summary>
    public void Checkpoint(IReadOnlyList<CountRecord> openWindows)
    {
        if (openWindows.Count == 0) return;
        _calls.Run(() =>
        {
            if (_disposed) return;
            bool synced = _clock.Synchronized;
            foreach (var record in openWindows)
            {
                record.ClockSynced = synced; // as a closed window's record would be marked now
                _unsavedCheckpoints[record.CameraId] = record;
            }
            if (_pending.Count > 0) TryPersistPending();
            SaveCheckpoints();
        });
    }

    /// <summary>Keeps the checkpoints not kept yet, in one transaction and one fsync; under the storage lock.</summary>
    private void SaveCheckpoints()
    {
        // A record still in memory is older than these windows: its insert would delete their checkpoints.
        if (_unsavedCheckpoints.Count == 0 || _pending.Count > 0) return;
        try
        {
            _room.EnsureRoom();
            EnsureOpen();
            _store.SaveCheckpoints([.. _unsavedCheckpoints.Values]);
            _unsavedCheckpoints.Clear();
            _store.Flush();
        }
        catch (Exception ex) when (OutboxFile.IsStorageFailure(ex))
        {
            _store.Failed(ex);
            _faults.WriteFailed(ex, _pending.Count);
        }
    }

    /// <summary>
    /// At start: a checkpoint still stored is a window the last run never closed (a crash, a power cut). Each is
    /// stored now as its camera's next record, marked partial; the insert deletes the checkpoint in the same
    /// transaction, so a crash here leaves it to the next start, never stored twice.
    /// </summary>
    private void CloseInterruptedWindows()
    {
        var interrupted = new List<CountRecord>();
        foreach (var (id, record) in _store.Interrupted)
        {
            if (record is null || string.IsNullOrEmpty(record.CameraId))
            {
                Log.OutboxCheckpointUnreadable(_logger, id);
                Quietly(() => _store.DeleteCheckpoint(id));
                continue;
            }
            record.Partial = true;
            record.MessageId = "";
            record.Seq = 0;
            long crossings = record.Lines.Values.Sum(l => l.In + l.Out);
            Log.OutboxWindowRecovered(_logger, record.CameraId, record.WindowStart, crossings, record.FramesProcessed);
            interrupted.Add(record);
        }
        // Never throws: on a storage failure they wait in memory like any record, and their insert, whenever it
        // happens, deletes their checkpoints in the same transaction.
        if (interrupted.Count > 0) AppendRange(interrupted);
    }

    /// <summary>
    /// The oldest stored records, in insertion order (per camera that is sequence order), without those already
    /// acknowledged but not yet deleted. Throws <see cref="OutboxUnavailableException"/> when storage cannot be read.
    /// </summary>
    public IReadOnlyList<OutboxEntry> ReadOldest(int max) => _calls.Run(() =>
    {
        try
        {
            EnsureOpen();
            TryRetryDeletes();
            var entries = _store.ReadOldest(max);
            _faults.ReadWorked();
            return entries;
        }
        catch (Exception ex) when (OutboxFile.IsStorageFailure(ex))
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
        _calls.Run(() =>
        {
            _store.Acknowledge(ids);
            Quietly(() =>
            {
                TryRetryDeletes();
                _faults.ReadWorked();
            });
        });
    }

    /// <summary>
    /// What the outbox holds of the camera's records <paramref name="from"/> to <paramref name="to"/>: those the broker
    /// acknowledged that it still keeps, to be sent again, and the seqs that are neither kept nor still waiting to go.
    /// Throws <see cref="OutboxUnavailableException"/> when storage cannot be read.
    /// </summary>
    public ArchivedRange FindDelivered(string camera, long from, long to) => _calls.Run(() =>
    {
        try
        {
            EnsureOpen();
            var delivered = _store.Archive.Range(camera, from, to).ToList();
            // Held in memory: numbered, not stored yet, and will go.
            var waiting = _pending.Where(r => r.CameraId == camera && r.Seq >= from && r.Seq <= to).Select(r => r.Seq).ToList();
            if (delivered.Count + waiting.Count < to - from + 1)
            {
                var (acknowledged, queued) = _store.FindQueued(camera, from, to);
                delivered.AddRange(acknowledged);
                waiting.AddRange(queued);
            }
            _faults.ReadWorked();
            return ArchivedRange.Of(from, to, delivered, waiting);
        }
        catch (Exception ex) when (OutboxFile.IsStorageFailure(ex))
        {
            throw new OutboxUnavailableException(ReadFailed(ex), ex);
        }
    });

    /// <summary>
    /// Per camera, the seq ranges known lost for good (dropped by retention before the broker had them, lost before
    /// storage), the most recent first, at most <see cref="LossRanges.MaxPerCamera"/> each; durable across restarts and a
    /// quarantined database. Never waits for storage.
    /// </summary>
    public IReadOnlyList<LossRange> Losses => _seqs.Losses;

    /// <summary>Resolves when a record may be waiting (set by every append; coalesced).</summary>
    public ValueTask<bool> WaitForRecordsAsync(CancellationToken cancellationToken) => _signal.Reader.ReadAsync(cancellationToken);

    /// <summary>
    /// Backlog, age, losses and errors for the heartbeat and health. Never throws and never waits long: while a
    /// storage call has not returned (a disk that stopped answering), the last known figures come back with how long
    /// it has been stuck.
    /// </summary>
    public OutboxStats Stats()
    {
        if (!_calls.TryEnter(TimeSpan.FromMilliseconds(250)))
        {
            double stuck = _calls.RunningSeconds;
            // The figures as they were before the call that holds the lock (plain reads: it may be changing them).
            var last = Snapshot();
            // A write on an SD card may take a second or two (several fsyncs): that is not a fault yet.
            return stuck < StuckAfter.TotalSeconds ? last : last with { LastError = $"storage has not answered for {stuck:0} s", StuckSeconds = stuck };
        }
        try
        {
            if (!_store.Broken && !_disposed)
            {
                try
                {
                    // This read may hang as well: timed, so a second caller sees it.
                    var oldest = _calls.Timed(_store.Oldest);
                    _oldestAge = oldest is null ? 0 : _clock.AgeSeconds(oldest) is { } age ? Math.Round(age, 1) : null;
                }
                catch (Exception ex) when (OutboxFile.IsStorageFailure(ex))
                {
                    ReadFailed(ex);
                }
            }
            return Snapshot();
        }
        finally
        {
            _calls.Exit();
        }
    }

    private OutboxStats Snapshot() => new(_store.Backlog, _oldestAge, _store.Bytes, _seqs.Dropped, _pending.Count, _seqs.Lost,
        _faults.LastError, Quarantined);

    /// <summary>Applies the retention limits now (also applied after every write). Drops the oldest first, counted and logged.</summary>
    public void EnforceLimits() => _calls.Run(() => Quietly(() =>
    {
        _room.EnsureRoom();
        _retention.Apply(_store, _seqs);
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
        catch (Exception ex) when (OutboxFile.IsStorageFailure(ex))
        {
            ReadFailed(ex);
        }
    }

    /// <summary>Writes what waits in memory, once storage lets it; returns how many were stored (0 while it still cannot).</summary>
    private int TryPersistPending()
    {
        int stored;
        try
        {
            stored = PersistPending();
            _faults.WriteWorked(stored);
        }
        catch (Exception ex) when (OutboxFile.IsStorageFailure(ex))
        {
            _store.Failed(ex); // LiteDB's file streams stay failed after an error such as ENOSPC: reopen before the next write
            _faults.WriteFailed(ex, _pending.Count);
            return 0;
        }
        // Stored: whatever retention then meets is reported on its own, not as a failure to store these.
        Quietly(() =>
        {
            TryRetryDeletes(); // acknowledged records go first: they are no loss
            _retention.Apply(_store, _seqs);
        });
        return stored;
    }

    /// <summary>Writes every pending record in one transaction, then forces it to disk.</summary>
    private int PersistPending()
    {
        if (_pending.Count == 0) return 0;
        // Refuse before LiteDB hits ENOSPC mid-transaction: records wait in memory until there is room.
        _room.EnsureRoom();
        EnsureOpen();
        var batch = _store.Insert(_pending, _clock);
        // Committed: the records are stored (LiteDB replays its log after a crash). Account for them before the
        // steps below, which may fail without un-storing anything.
        _seqs.Stored(batch.LastSeqs);
        _lastStored = batch.Last;
        _pending.Clear();
        try
        {
            _store.Flush();
        }
        catch (Exception ex) when (OutboxFile.IsStorageFailure(ex))
        {
            Log.OutboxSyncFailed(_logger, ex);
        }
        _seqs.Save();
        return batch.Count;
    }

    /// <summary>
    /// Deletes the acknowledged records still waiting to be deleted (the database must be open). Below the free-space
    /// margin they simply wait: reading and publishing go on, and nothing goes out twice.
    /// </summary>
    private void TryRetryDeletes()
    {
        if (!_store.HasAcknowledged) return;
        try { _room.EnsureRoom(); }
        catch (DiskAlmostFullException ex)
        {
            _faults.DeletesWaitForRoom(ex, _pending.Count);
            return;
        }
        // Kept for resends unless space is short: then the archive is the first thing to go.
        _store.DeleteAcknowledged(archive: _options.ArchiveHours > 0 && !_room.SpaceIsShort, _clock);
    }

    /// <summary>Every few seconds while something is wrong: held records are written, a failed store reopened.</summary>
    private void Retry()
    {
        // A store that is stuck keeps the lock: let it be rather than pile up timer threads behind it.
        if (_calls.InProgress) return;
        // A timer callback that throws ends the process: whatever a damaged store throws is reported instead.
        try { _calls.Run(RetryOnce); }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _calls.Run(() => ReadFailed(ex));
        }
    }

    private void RetryOnce()
    {
        if (_disposed) return;
        if (_pending.Count > 0)
        {
            TryPersistPending();
            if (_pending.Count == 0) _signal.Writer.TryWrite(true);
            SaveCheckpoints();
        }
        else if (_unsavedCheckpoints.Count > 0) SaveCheckpoints();
        else if (_store.Broken || _store.HasAcknowledged || _faults.Any)
        {
            Quietly(() =>
            {
                TryRetryDeletes();
                _faults.ReadWorked();
                // The deletes that waited for room are done.
                if (!_store.HasAcknowledged && _faults.WriteFailing) _faults.WriteWorked(0);
            });
        }
    }

    private string ReadFailed(Exception ex)
    {
        _store.Failed(ex); // LiteDB's streams stay failed after a real error: reopen
        return _faults.ReadFailed(ex);
    }

    /// <summary>Reopens the database after a storage error left LiteDB's streams failed.</summary>
    private void EnsureOpen()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _store.EnsureOpen();
    }

    /// <summary>Writes what waits in memory one last time (what cannot be written is counted lost at the next start) and closes.</summary>
    public void Dispose()
    {
        _retry.Dispose();
        // A store stuck in a write holds the lock for good: shut down without it rather than hang the service's stop.
        if (!_calls.TryEnter(TimeSpan.FromSeconds(10))) { Log.OutboxStuckAtStop(_logger); return; }
        try
        {
            if (_disposed) return;
            if (_pending.Count > 0) TryPersistPending();
            if (_pending.Count > 0) Log.OutboxLostAtStop(_logger, _pending.Count);
            _disposed = true;
            try { _store.Dispose(); }
            catch (Exception ex) when (OutboxFile.IsStorageFailure(ex)) { Log.OutboxSyncFailed(_logger, ex); }
            _seqs.Dispose();
        }
        finally
        {
            _calls.Exit();
        }
    }
}
