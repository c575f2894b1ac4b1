using System.Collections;
using WorkerPool.Config;
using WorkerPool.Contracts;

namespace WorkerPool.Outbox;

/// <summary>
/// Numbered records that storage has not taken yet (a full disk, a failing card), in order, up to
/// <see cref="OutboxOptions.MaxPendingInMemory"/>. Not thread-safe: the outbox calls it under its lock.
/// </summary>
internal sealed class PendingBuffer(OutboxOptions options) : IReadOnlyCollection<CountRecord>
{
    private readonly Queue<CountRecord> _records = new();

    /// <inheritdoc />
    public int Count => _records.Count;

    /// <summary>Holds a record after those already waiting.</summary>
    public void Add(CountRecord record) => _records.Enqueue(record);

    /// <summary>Removes and returns the oldest records beyond the limit: they are lost.</summary>
    public IReadOnlyList<CountRecord> TakeOverflow()
    {
        var lost = new List<CountRecord>();
        while (_records.Count > options.MaxPendingInMemory) lost.Add(_records.Dequeue());
        return lost;
    }

    /// <summary>Forgets every record (they were stored).</summary>
    public void Clear() => _records.Clear();

    /// <inheritdoc />
    public IEnumerator<CountRecord> GetEnumerator() => _records.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
