using WorkerPool.Capture;

namespace WorkerPool.Gate;

/// <summary>
/// The bounded queue between the frame gate and the inference pool: a small FIFO per camera. Live cameras drop
/// their oldest waiting frame when full (reported through <c>onDropped</c>); replay waits for room instead.
/// Workers take the frame that has waited longest across all cameras, so no camera starves another.
/// </summary>
public sealed class FrameQueue
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Queue<Frame>> _queues = new(StringComparer.Ordinal);
    private readonly int _perCamera;
    private readonly bool _dropOldest;
    private readonly Action<Frame> _onDropped;
    private int _depth;
    private bool _completed;

    /// <summary>Creates the queue.</summary>
    /// <param name="perCamera">Frames that may wait per camera.</param>
    /// <param name="dropOldest">True for live cameras; false to block the producer (replay).</param>
    /// <param name="onDropped">Called (outside the lock) with each frame pushed out; it must release the frame.</param>
    public FrameQueue(int perCamera, bool dropOldest, Action<Frame> onDropped)
    {
        _perCamera = perCamera;
        _dropOldest = dropOldest;
        _onDropped = onDropped;
    }

    /// <summary>Frames waiting now, all cameras together.</summary>
    public int Depth => Volatile.Read(ref _depth);

    /// <summary>Adds a frame. Returns false (frame not taken) only when the queue is completed or the wait is cancelled.</summary>
    public bool Enqueue(Frame frame, CancellationToken cancellationToken = default)
    {
        Frame? dropped = null;
        using (cancellationToken.Register(PulseAll))
        {
            lock (_gate)
            {
                if (!_queues.TryGetValue(frame.CameraId, out var queue)) _queues[frame.CameraId] = queue = new Queue<Frame>(_perCamera);
                while (!_dropOldest && queue.Count >= _perCamera && !_completed && !cancellationToken.IsCancellationRequested)
                    Monitor.Wait(_gate);
                if (_completed || cancellationToken.IsCancellationRequested) return false;
                if (queue.Count >= _perCamera)
                {
                    dropped = queue.Dequeue();
                    _depth--;
                }
                queue.Enqueue(frame);
                _depth++;
                Monitor.PulseAll(_gate);
            }
        }
        if (dropped is not null) _onDropped(dropped);
        return true;
    }

    /// <summary>Blocks until a frame is available; null once completed and empty, or when cancelled.</summary>
    public Frame? Dequeue(CancellationToken cancellationToken)
    {
        using (cancellationToken.Register(PulseAll))
        {
            lock (_gate)
            {
                while (true)
                {
                    if (cancellationToken.IsCancellationRequested) return null;
                    Queue<Frame>? best = null;
                    foreach (var queue in _queues.Values)
                        if (queue.Count > 0 && (best is null || queue.Peek().CaptureTime < best.Peek().CaptureTime)) best = queue;
                    if (best is not null)
                    {
                        _depth--;
                        var frame = best.Dequeue();
                        Monitor.PulseAll(_gate);
                        return frame;
                    }
                    if (_completed) return null;
                    Monitor.Wait(_gate);
                }
            }
        }
    }

    /// <summary>Stops accepting frames; workers drain what is left and then get null.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Removes and returns every waiting frame (shutdown).</summary>
    public List<Frame> DrainAll()
    {
        lock (_gate)
        {
            var all = _queues.Values.SelectMany(q => q).ToList();
            foreach (var q in _queues.Values) q.Clear();
            _depth = 0;
            return all;
        }
    }

    private void PulseAll()
    {
        lock (_gate) Monitor.PulseAll(_gate);
    }
}
