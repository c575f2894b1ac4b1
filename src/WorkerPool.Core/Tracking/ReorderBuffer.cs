using System.Diagnostics.CodeAnalysis;

namespace WorkerPool.Tracking;

/// <summary>
/// Puts one camera's answers back in admission order: the pool's workers finish frames out of order, the
/// tracker needs them in sequence. Every admitted frame produces exactly one answer, so the buffer never waits
/// for a frame that will not come. The caller adds what arrives and takes what is in order; the buffer calls
/// nothing (not thread-safe: its camera's counter holds it under its lock).
/// </summary>
/// <typeparam name="T">What is buffered.</typeparam>
public sealed class ReorderBuffer<T>
{
    private readonly Dictionary<long, T> _waiting = new(16);
    private long _next;

    /// <summary>Items held because an earlier one has not arrived.</summary>
    public int Waiting => _waiting.Count;

    /// <summary>The admission number the buffer hands out next.</summary>
    public long Next => _next;

    /// <summary>
    /// Holds the item of admission number <paramref name="admit"/>. False for a duplicate (that number was already
    /// taken, or is waiting): the buffer did not take it, and the caller still owns it.
    /// </summary>
    public bool TryAdd(long admit, T item) => admit >= _next && _waiting.TryAdd(admit, item);

    /// <summary>Takes the next item in admission order, if it has arrived; call until false after each add.</summary>
    public bool TryTakeNext([MaybeNullWhen(false)] out T item)
    {
        if (!_waiting.Remove(_next, out item)) return false;
        _next++;
        return true;
    }
}
