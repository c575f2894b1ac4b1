namespace WorkerPool.Capture;

/// <summary>Where a camera reader offers its frames: the next stage, which admits some of them into inference.</summary>
public interface IFrameGate
{
    /// <summary>Frames admitted so far.</summary>
    long Admitted { get; }

    /// <summary>Frames not admitted (sampled out) so far.</summary>
    long Skipped { get; }

    /// <summary>Offers a frame; true when the gate took it (it owns the frame then), false when the caller keeps it.</summary>
    bool Offer(Frame frame, CancellationToken cancellationToken = default);
}
