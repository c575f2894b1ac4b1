using Microsoft.Extensions.Logging;
using WorkerPool.Diagnostics;

namespace WorkerPool.Outbox;

/// <summary>
/// The outbox's current storage errors, one for writes and one for reads and clean-up, as the heartbeat and health
/// report them. Each failure is logged when it starts and when it ends, not at every retry.
/// </summary>
internal sealed class OutboxFaults(ILogger logger)
{
    private string? _write, _read;

    /// <summary>The error to report (a failing write first), or null when storage works.</summary>
    public string? LastError => _write ?? _read;

    /// <summary>Whether either error is set.</summary>
    public bool Any => _write is not null || _read is not null;

    /// <summary>Whether writes are failing.</summary>
    public bool WriteFailing => _write is not null;

    /// <summary>A write failed: <paramref name="pending"/> records wait in memory.</summary>
    public void WriteFailed(Exception ex, int pending)
    {
        if (_write is null) Log.OutboxWriteFailed(logger, ex, pending);
        _write = ex.Message;
    }

    /// <summary>Acknowledged records wait to be deleted until there is room (reported like a failed write, the first reason kept).</summary>
    public void DeletesWaitForRoom(DiskAlmostFullException ex, int pending)
    {
        if (_write is null) Log.OutboxWriteFailed(logger, ex, pending);
        _write ??= ex.Message;
    }

    /// <summary>Writes work again: <paramref name="stored"/> held records were stored.</summary>
    public void WriteWorked(int stored)
    {
        if (_write is not null) Log.OutboxRecovered(logger, stored);
        _write = null;
    }

    /// <summary>A read or clean-up failed; returns the message to report.</summary>
    public string ReadFailed(Exception ex)
    {
        string message = ex is ObjectDisposedException ? "storage failed earlier and is being reopened" : ex.Message;
        if (_read is null) Log.OutboxReadFailed(logger, message);
        _read = message;
        return message;
    }

    /// <summary>A read worked.</summary>
    public void ReadWorked()
    {
        if (_read is null) return;
        _read = null;
        Log.OutboxReadable(logger);
    }
}
