using System.Threading.Channels;
using WorkerPool.Capture;

namespace WorkerPool.Gate;

/// <summary>
/// The bounded queue between the frame gate and the inference pool: a small FIFO per camera. Live cameras drop
/// their oldest waiting frame when full; replay waits for room instead. Workers take the frame that has waited
/// longest across all cameras, so no camera starves another.
/// </summary>
/// <remarks>
/// Not a <see cref="Channel{T}"/>: a bound per camera, oldest-first across cameras and a blocking take for the pool's
/// dedicated threads are more than a channel offers. It owns the frames it holds: one it drops (pushed out, or still
/// waiting at <see cref="DropAll"/>) it hands back to its camera, and answers with a <see cref="DroppedFrame"/> on the
/// channel it was given, so every admitted frame still gets exactly one answer downstream.
/// </remarks>
public sealed class FrameQueue
{
    private readonly object _gate = new();
    private readonly Dictionary<string, Queue<Frame>> _queues = new(StringComparer.Ordinal);
    private readonly int _perCamera;
    private readonly bool _dropOldest;
    private readonly ChannelWriter<DroppedFrame> _dropped;
    private int _depth;
    private bool _completed;

    /// <summary>Creates the queue.</summary>
    /// <param name="perCamera">Frames that may wait per camera.</param>
    /// <param name="dropOldest">True for live cameras; false to block the producer (replay).</param>
    /// <param name="dropped">Where the answer for each dropped frame goes (unbounded: a drop must never block a camera).</param>
    public FrameQueue(int perCamera, bool dropOldest, ChannelWriter<DroppedFrame> dropped)
    {
        _perCamera = perCamera;
        _dropOldest = dropOldest;
        _dropped = dropped;
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
        if (dropped is not null) Drop(dropped);
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

    /// <summary>Drops every waiting frame (shutdown, once no worker takes any more): each is answered and released.</summary>
    /// <returns>How many were dropped.</returns>
    public int DropAll()
    {
        List<Frame> all;
        lock (_gate)
        {
            all = _queues.Values.SelectMany(q => q).ToList();
            foreach (var q in _queues.Values) q.Clear();
            _depth = 0;
        }
        foreach (var frame in all) Drop(frame);
        return all.Count;
    }

    // Outside the lock. The answer carries the stamps only, so the frame goes back to its camera at once.
    private void Drop(Frame frame)
    {
        _dropped.TryWrite(new DroppedFrame(frame.CameraId, frame.Admit, frame.Sequence, frame.CaptureTime));
        frame.Release();
    }

    private void PulseAll()
    {
        lock (_gate) Monitor.PulseAll(_gate);
    }
}
