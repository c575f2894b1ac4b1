using Microsoft.Extensions.Logging;
using WorkerPool.Contracts;
using WorkerPool.Diagnostics;

namespace WorkerPool.Outbox;

/// <summary>
/// Gives each record its message id and its camera's next sequence number when it is counted, and keeps the
/// numbers' accounting in the <see cref="SequenceLedger"/> beside the database: given out, stored, lost before
/// storage, dropped by retention. A number is durable before its record is, so a record lost from memory leaves a
/// gap and a number is never given out twice. Not thread-safe: the outbox calls it under its lock.
/// </summary>
internal sealed class SeqAllocator : IDisposable
{
    private readonly SequenceLedger _ledger;
    private readonly ILogger _logger;

    private SeqAllocator(SequenceLedger ledger, ILogger logger)
    {
        _ledger = ledger;
        _logger = logger;
    }

    /// <summary>Records lost before they were stored, since the outbox was first created.</summary>
    public long Lost => _ledger.Lost;

    /// <summary>Stored records retention dropped, since the outbox was first created.</summary>
    public long Dropped => _ledger.Dropped;

    /// <summary>The seq ranges known lost for good (retention, unstored), per camera, the most recent first; any thread may read it.</summary>
    public IReadOnlyList<LossRange> Losses => _ledger.Losses;

    /// <summary>
    /// Opens the ledger at <paramref name="path"/> and brings it up to the database's own marks. Numbers the last
    /// run gave out but never stored belonged to records it held in memory: they are counted lost and logged.
    /// </summary>
    public static SeqAllocator Open(string path, OutboxStore store, ILogger logger)
    {
        var ledger = SequenceLedger.Open(path);
        // The database's marks are committed with its records: they count even if the ledger missed its last write.
        foreach (var (camera, last) in store.StoredSequences) ledger.MarkStored(camera, last);
        ledger.AtLeastDropped(store.DroppedAtOpen);
        foreach (var (camera, from, to) in ledger.ReconcileUnstored()) Log.OutboxLostAtStart(logger, to - from + 1, camera, from, to);
        var seqs = new SeqAllocator(ledger, logger);
        seqs.Save();
        return seqs;
    }

    /// <summary>Gives the record a message id (if it has none) and its camera's next number (in memory until <see cref="Save"/>).</summary>
    public void Number(CountRecord record)
    {
        if (string.IsNullOrEmpty(record.MessageId)) record.MessageId = Guid.NewGuid().ToString();
        record.Seq = _ledger.Allocate(record.CameraId);
    }

    /// <summary>Notes the cameras' records up to these numbers as stored.</summary>
    public void Stored(IReadOnlyDictionary<string, long> lastSeqs)
    {
        foreach (var (camera, seq) in lastSeqs) _ledger.MarkStored(camera, seq);
    }

    /// <summary>Counts a record that will never be stored, and logs it: its number stays a gap.</summary>
    public void MarkLost(CountRecord record)
    {
        _ledger.MarkLost(record.CameraId, record.Seq);
        Log.OutboxPendingOverflow(_logger, record.CameraId, record.Seq, _ledger.Lost);
    }

    /// <summary>Counts stored records retention dropped before the broker had them, and notes their ranges.</summary>
    public void AddDropped(IReadOnlyCollection<(string Camera, long Seq)> seqs)
    {
        if (seqs.Count > 0) _ledger.AddDropped(seqs);
    }

    /// <summary>Makes the ledger durable. A failure is logged, not thrown: counting goes on, only the gap guarantee weakens.</summary>
    public void Save()
    {
        try { _ledger.Save(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Log.OutboxLedgerFailed(_logger, ex);
        }
    }

    /// <inheritdoc />
    public void Dispose() => _ledger.Dispose();
}
