using OpenCvSharp;

namespace WorkerPool.Capture;

/// <summary>A video file decoded in-process by OpenCV (its bundled FFmpeg decodes files, not network streams).</summary>
public sealed class OpenCvFileSource : IFrameSource
{
    private readonly string _path;
    private VideoCapture _capture;
    private long _index = -1;

    /// <summary>Opens a video file; throws <see cref="IOException"/> when it is missing or not a video.</summary>
    public OpenCvFileSource(string path)
    {
        _path = path;
        _capture = OpenCapture(path);
        Width = _capture.FrameWidth;
        Height = _capture.FrameHeight;
        double fps = _capture.Fps;
        Fps = double.IsFinite(fps) && fps is > 0 and < 1000 ? fps : 25; // some containers lie; 25 keeps time moving
    }

    /// <inheritdoc />
    public int Width { get; }

    /// <inheritdoc />
    public int Height { get; }

    /// <inheritdoc />
    public double Fps { get; }

    /// <inheritdoc />
    public double PositionSeconds => Math.Max(0, _index) / Fps;

    /// <inheritdoc />
    public bool CanRewind => true;

    /// <inheritdoc />
    public bool Read(Mat into)
    {
        if (!_capture.Read(into) || into.Empty()) return false;
        if (into.Type() != MatType.CV_8UC3) throw new InvalidDataException($"{_path}: decoded frame has type {into.Type()}, expected 8-bit BGR");
        _index++;
        return true;
    }

    /// <inheritdoc />
    public void Rewind()
    {
        // Reopening is the one rewind that works for every container, including files cut off mid-stream.
        _capture.Dispose();
        _capture = OpenCapture(_path);
        _index = -1;
    }

    private static VideoCapture OpenCapture(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"video file '{path}' does not exist", path);
        var capture = new VideoCapture(path, VideoCaptureAPIs.FFMPEG);
        if (!capture.IsOpened() || capture.FrameWidth <= 0 || capture.FrameHeight <= 0)
        {
            capture.Dispose();
            throw new IOException($"'{path}' could not be opened as a video");
        }
        return capture;
    }

    /// <inheritdoc />
    public void Dispose() => _capture.Dispose();
}
