using OpenCvSharp;

namespace WorkerPool.Capture;

/// <summary>An open video source that fills caller-owned <see cref="Mat"/>s (so capture reuses frame buffers).</summary>
public interface IFrameSource : IDisposable
{
    /// <summary>Frame width in pixels.</summary>
    int Width { get; }

    /// <summary>Frame height in pixels.</summary>
    int Height { get; }

    /// <summary>Nominal frames per second of the source (0 when unknown).</summary>
    double Fps { get; }

    /// <summary>Media time of the last frame read, in seconds.</summary>
    double PositionSeconds { get; }

    /// <summary>True for files, which can start again (looping).</summary>
    bool CanRewind { get; }

    /// <summary>Reads the next frame into <paramref name="into"/>; false at the end of the stream. Throws when the source fails.</summary>
    bool Read(Mat into);

    /// <summary>Starts again from the first frame.</summary>
    void Rewind();
}

/// <summary>Opens sources for camera URLs.</summary>
public interface IFrameSourceFactory
{
    /// <summary>Opens the source a camera names; throws when it cannot be opened.</summary>
    IFrameSource Open(CameraUri uri, Config.CameraOptions camera);
}
