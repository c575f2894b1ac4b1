using WorkerPool.Config;
using WorkerPool.Diagnostics;

namespace WorkerPool.Outbox;

/// <summary>
/// Refuses a write while free space is below <see cref="OutboxOptions.MinFreeBytes"/>. Every write asks it first
/// (appends, deletes, retention): LiteDB 5 that meets ENOSPC leaves its streams disposed, or waits forever on its
/// log writer, so it must never get there. Below twice that margin space is short: the archive goes first.
/// </summary>
internal sealed class FreeSpaceGuard(string path, OutboxOptions options)
{
    /// <summary>Tests only: runs before each check, to stand in for a store that stops answering.</summary>
    public Action? BeforeWrite { get; set; }

    /// <summary>Throws <see cref="DiskAlmostFullException"/> when there is not room to write.</summary>
    public void EnsureRoom()
    {
        BeforeWrite?.Invoke();
        if (SystemMetrics.DiskFree(path) is { } free && free < options.MinFreeBytes)
            throw new DiskAlmostFullException($"disk almost full: {free} bytes free for {path} (outbox.minFreeBytes is {options.MinFreeBytes})");
    }

    /// <summary>
    /// Whether free space is below twice <see cref="OutboxOptions.MinFreeBytes"/>: acknowledged records are then
    /// deleted instead of archived and the archive is emptied, so that new records reuse its pages rather than grow
    /// the file towards the margin where they would have to wait in memory.
    /// </summary>
    public bool SpaceIsShort => SystemMetrics.DiskFree(path) is { } free && free / 2 < options.MinFreeBytes;
}
