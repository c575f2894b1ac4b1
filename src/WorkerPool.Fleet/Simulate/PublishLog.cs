using System.Collections.Concurrent;
using System.Globalization;

namespace WorkerPool.Fleet.Simulate;

/// <summary>
/// When each count record was handed to the broker: one <c>messageId,unixMicroseconds</c> line per record, taken just
/// before its first publish attempt, on this machine's wall clock. A benchmark joins it with the commit time
/// PostgreSQL gives each row to measure publish → committed. Kept in memory and written once at the end, so the
/// run itself does no file I/O.
/// </summary>
internal sealed class PublishLog
{
    private readonly ConcurrentQueue<(string MessageId, long Micros)> _entries = new();

    /// <summary>Entries recorded so far.</summary>
    public int Count => _entries.Count;

    /// <summary>Notes that the record <paramref name="messageId"/> is being published now.</summary>
    public void Add(string messageId, DateTimeOffset at) => _entries.Enqueue((messageId, (at - DateTimeOffset.UnixEpoch).Ticks / 10));

    /// <summary>Writes every entry to <paramref name="path"/> (replacing it).</summary>
    public async Task WriteAsync(string path, CancellationToken token)
    {
        await using var file = new StreamWriter(path, append: false);
        foreach (var (id, micros) in _entries)
            await file.WriteLineAsync($"{id},{micros.ToString(CultureInfo.InvariantCulture)}".AsMemory(), token).ConfigureAwait(false);
    }
}
