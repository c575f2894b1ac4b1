using System.Collections.Concurrent;
using OpenCvSharp;

namespace WorkerPool.Capture;

/// <summary>
/// One captured image plus its stamps. Frames are pooled per camera and their <see cref="Mat"/> is reused:
/// whoever holds a frame last calls <see cref="Release"/>.
/// </summary>
public sealed class Frame
{
    private readonly FramePool _owner;

    internal Frame(FramePool owner) => _owner = owner;

    /// <summary>The image (8-bit BGR), overwritten in place by the next capture into this frame.</summary>
    public Mat Image { get; } = new();

    /// <summary>Camera that captured it.</summary>
    public string CameraId => _owner.CameraId;

    /// <summary>Camera's own running frame number, from 0.</summary>
    public long Sequence { get; internal set; }

    /// <summary>Number the frame gate gave it when it was admitted for inference (dense, from 0).</summary>
    public long Admit { get; internal set; }

    /// <summary>Wall-clock time of capture.</summary>
    public DateTimeOffset CaptureTime { get; internal set; }

    /// <summary>Seconds on the camera's <see cref="MediaTimeline"/>: the source's own media time, continued across its sessions.</summary>
    public double MediaSeconds { get; internal set; }

    /// <summary>Written off by its pool (held by a hung inference): released, it is freed instead of reused.</summary>
    internal bool WrittenOff { get; set; }

    /// <summary>Hands the frame back to its camera's pool.</summary>
    public void Release() => _owner.Return(this);

    /// <summary>Notes, for the camera's heartbeat, that inference ran on this frame and the score of its best box (0: none). Call before <see cref="Release"/>.</summary>
    public void NoteInference(float bestScore) => _owner.Detections.Record(CaptureTime, bestScore);

    /// <summary>Tells the pool its holder hung: see <see cref="FramePool.WriteOff"/>.</summary>
    public void WriteOff() => _owner.WriteOff(this);
}

/// <summary>A bounded pool of frames for one camera, so steady-state capture allocates no images.</summary>
public sealed class FramePool : IDisposable
{
    private readonly ConcurrentBag<Frame> _free = [];
    private readonly int _max;
    private int _created;

    /// <summary>Creates a pool that holds at most <paramref name="max"/> frames at once.</summary>
    public FramePool(string cameraId, int max)
    {
        CameraId = cameraId;
        _max = max;
    }

    /// <summary>Camera this pool belongs to.</summary>
    public string CameraId { get; }

    /// <summary>What inference made of the camera's frames (its frames note it; its readers report it).</summary>
    public DetectionTally Detections { get; } = new();

    /// <summary>A free frame, or null when all <c>max</c> frames are in use downstream.</summary>
    public Frame? Rent()
    {
        if (_free.TryTake(out var frame)) return frame;
        if (Interlocked.Increment(ref _created) <= _max) return new Frame(this);
        Interlocked.Decrement(ref _created);
        return null;
    }

    internal void Return(Frame frame)
    {
        if (frame.WrittenOff) frame.Image.Dispose();
        else _free.Add(frame);
    }

    /// <summary>
    /// Gives up on a frame that an abandoned (hung) inference still holds: the pool may make a new one in its
    /// place, so the camera keeps its full supply; the old one is freed if its holder ever lets it go.
    /// </summary>
    internal void WriteOff(Frame frame)
    {
        if (frame.WrittenOff) return;
        frame.WrittenOff = true;
        Interlocked.Decrement(ref _created);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        while (_free.TryTake(out var frame)) frame.Image.Dispose();
    }
}
