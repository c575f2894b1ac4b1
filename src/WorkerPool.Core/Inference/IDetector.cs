using OpenCvSharp;

namespace WorkerPool.Inference;

/// <summary>Finds people in one frame. One instance belongs to one worker thread; it is not thread-safe.</summary>
public interface IDetector : IDisposable
{
    /// <summary>Device the model really runs on (may differ from the requested one after a fallback).</summary>
    string ActiveDevice { get; }

    /// <summary>Why the requested device was not used, or null.</summary>
    string? FallbackReason { get; }

    /// <summary>Clears <paramref name="into"/> and fills it with the people found in <paramref name="frame"/>, in frame pixels.</summary>
    void Detect(Mat frame, List<Detection> into);

    /// <summary>
    /// Asks a <see cref="Detect"/> that overran its timeout to end (called from another thread); it may then throw.
    /// The worker is abandoned either way; this only lets its thread, and the frame it holds, go.
    /// </summary>
    void Abort() { }
}

/// <summary>Creates the detector of one worker, on that worker's (already pinned) thread.</summary>
public interface IDetectorFactory
{
    /// <summary>Builds a detector for a device and thread count.</summary>
    IDetector Create(ExecutionDevice device, int threads);
}
