using WorkerPool.Inference;

namespace WorkerPool.Tracking;

/// <summary>
/// Puts one camera's results back in admission order: the pool's workers finish frames out of order, the
/// tracker needs them in sequence. Every admitted frame produces exactly one result, so the buffer never waits
/// for a frame that will not come.
/// </summary>
public sealed class ReorderBuffer
{
    private readonly Dictionary<long, InferenceResult> _waiting = new(16);
    private long _next;

    /// <summary>Results held because an earlier one has not arrived.</summary>
    public int Waiting => _waiting.Count;

    /// <summary>Accepts a result and hands every result that is now in order to <paramref name="emit"/>.</summary>
    public void Push(InferenceResult result, Action<InferenceResult> emit)
    {
        if (result.Admit < _next) { result.Return(); return; } // a duplicate: already emitted
        _waiting[result.Admit] = result;
        while (_waiting.Remove(_next, out var ready))
        {
            _next++;
            emit(ready);
        }
    }
}
