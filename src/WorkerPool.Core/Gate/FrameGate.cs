using WorkerPool.Capture;

namespace WorkerPool.Gate;

/// <summary>
/// Per-camera admission to inference: samples frames down to the camera's target fps and numbers the admitted
/// ones densely, so the tracker can put results back in order and tell a dropped frame from a late one.
/// </summary>
public sealed class FrameGate : IFrameGate
{
    private readonly FrameQueue _queue;
    private double _nextDue = double.NegativeInfinity;
    private long _nextAdmit;
    private double _fps;

    /// <summary>Creates a gate for one camera.</summary>
    public FrameGate(string cameraId, double fps, FrameQueue queue)
    {
        CameraId = cameraId;
        _fps = fps;
        _queue = queue;
    }

    /// <summary>Camera this gate belongs to.</summary>
    public string CameraId { get; }

    /// <summary>Target frames per second into inference (0 = all). May change at run time (thermal throttling).</summary>
    public double Fps
    {
        get => Volatile.Read(ref _fps);
        set => Volatile.Write(ref _fps, value);
    }

    /// <summary>Frames admitted so far.</summary>
    public long Admitted => Interlocked.Read(ref _nextAdmit);

    /// <summary>Frames skipped by sampling so far (not an error: the camera delivers more than is wanted).</summary>
    public long Skipped { get; private set; }

    /// <summary>
    /// Offers a captured frame. Returns true when the gate took it (it is queued, and the queue owns it);
    /// false when sampling skipped it or the queue is closed: the caller still owns the frame and releases it.
    /// </summary>
    public bool Offer(Frame frame, CancellationToken cancellationToken = default)
    {
        double fps = Fps;
        if (fps > 0)
        {
            double t = frame.MediaSeconds, interval = 1.0 / fps;
            // A tenth of an interval of tolerance: 25 fps sampled to 5 takes exactly every fifth frame despite rounding.
            if (t < _nextDue - 0.1 * interval) { Skipped++; return false; }
            // On schedule: keep the even cadence; far behind (a stall): restart the cadence from this frame.
            _nextDue = t - _nextDue > interval ? t + interval : _nextDue + interval;
        }
        frame.Admit = _nextAdmit;
        if (!_queue.Enqueue(frame, cancellationToken)) return false;
        Interlocked.Increment(ref _nextAdmit);
        return true;
    }
}
