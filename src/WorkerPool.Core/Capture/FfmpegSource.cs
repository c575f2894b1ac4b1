using System.Diagnostics;
using OpenCvSharp;
using WorkerPool.Config;

namespace WorkerPool.Capture;

/// <summary>
/// A network or USB camera read through an FFmpeg child process that samples and scales in the child and writes
/// raw BGR frames to a pipe, which are read straight into the caller's <see cref="Mat"/>. The process boundary
/// keeps a broken stream or decoder from taking the service down; a stall or an error flood kills the child.
/// </summary>
public sealed class FfmpegSource : IFrameSource
{
    private const int FloodLines = 200;
    private readonly Process _process;
    private readonly Stream _stdout;
    private readonly int _frameBytes;
    private readonly TimeProvider _time;
    private readonly long _start;
    private readonly TimeSpan _stallTimeout;
    private readonly ITimer _watchdog;
    private readonly Queue<string> _lastErrors = new();
    private readonly CameraCredentials _credentials;
    private long _lastFrameTimestamp;
    private int _linesThisPeriod;
    private volatile string? _killReason;

    /// <summary>Starts FFmpeg for a camera; frames are scaled to the camera's width and height.</summary>
    /// <exception cref="IOException">FFmpeg does not start, or the camera's password cannot be read.</exception>
    public FfmpegSource(CameraUri uri, CameraOptions camera, TimeProvider time, string ffmpegPath = "ffmpeg")
    {
        // Read at each open, so a new password file is used at the next reconnect.
        _credentials = CameraCredentials.Of(camera);
        Width = camera.Width > 0 ? camera.Width : 640;
        Height = camera.Height > 0 ? camera.Height : 360;
        Fps = camera.Fps;
        _frameBytes = Width * Height * 3;
        _time = time;
        _stallTimeout = TimeSpan.FromSeconds(camera.StallTimeoutSeconds);
        var info = new ProcessStartInfo(ffmpegPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        // The one place the password is put in the URL: FFmpeg's command line, which only the service user sees
        // (the unit's ProtectProc=invisible hides its processes from other users).
        foreach (var arg in Arguments(uri, camera, Width, Height, _credentials.UrlToOpen(uri))) info.ArgumentList.Add(arg);
        try
        {
            _process = Process.Start(info) ?? throw new IOException("ffmpeg did not start");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new IOException($"cannot run '{ffmpegPath}' ({ex.Message}); install Debian's ffmpeg package", ex);
        }
        _process.ErrorDataReceived += (_, e) => OnStderr(e.Data);
        _process.BeginErrorReadLine();
        _stdout = _process.StandardOutput.BaseStream;
        _start = _lastFrameTimestamp = time.GetTimestamp();
        // The first frame may take a while (RTSP handshake, keyframe); the same timeout applies to it.
        _watchdog = time.CreateTimer(_ => Watch(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    /// <summary>The FFmpeg command line for a camera (exposed for tests); <paramref name="input"/> is the URL to open, by default the camera's own (without credentials).</summary>
    public static IEnumerable<string> Arguments(CameraUri uri, CameraOptions camera, int width, int height, string? input = null)
    {
        yield return "-nostdin";
        yield return "-hide_banner";
        yield return "-loglevel";
        yield return "error";
        switch (uri.Kind)
        {
            case SourceKind.Rtsp:
                yield return "-rtsp_transport"; yield return "tcp";
                yield return "-timeout"; yield return (camera.StallTimeoutSeconds * 1_000_000L).ToString(System.Globalization.CultureInfo.InvariantCulture);
                break;
            case SourceKind.Http:
                yield return "-rw_timeout"; yield return (camera.StallTimeoutSeconds * 1_000_000L).ToString(System.Globalization.CultureInfo.InvariantCulture);
                break;
            case SourceKind.Usb:
                yield return "-f"; yield return "v4l2";
                break;
            case SourceKind.File:
                yield return "-re";
                if (camera.Loop) { yield return "-stream_loop"; yield return "-1"; }
                break;
        }
        yield return "-i"; yield return input ?? uri.Location;
        yield return "-an";
        string scale = $"scale={width}:{height}";
        yield return "-vf";
        yield return camera.Fps > 0 ? $"fps={camera.Fps.ToString(System.Globalization.CultureInfo.InvariantCulture)},{scale}" : scale;
        yield return "-pix_fmt"; yield return "bgr24";
        yield return "-f"; yield return "rawvideo";
        yield return "pipe:1";
    }

    /// <inheritdoc />
    public int Width { get; }

    /// <inheritdoc />
    public int Height { get; }

    /// <inheritdoc />
    public double Fps { get; }

    /// <inheritdoc />
    public double PositionSeconds { get; private set; }

    /// <inheritdoc />
    public bool CanRewind => false;

    /// <inheritdoc />
    public unsafe bool Read(Mat into)
    {
        into.Create(Height, Width, MatType.CV_8UC3);
        var buffer = new Span<byte>((void*)into.DataPointer, _frameBytes);
        int read = _stdout.ReadAtLeast(buffer, _frameBytes, throwOnEndOfStream: false);
        if (read < _frameBytes)
        {
            // Once it has exited, the untimed wait also drains its stderr, so the error says what FFmpeg said last.
            if (_process.WaitForExit(2000)) _process.WaitForExit();
            string why = _killReason ?? (_process.HasExited ? $"ffmpeg exited with code {_process.ExitCode}" : "ffmpeg closed its output");
            throw new IOException($"{why}{LastErrors()}");
        }
        long now = _time.GetTimestamp();
        Interlocked.Exchange(ref _lastFrameTimestamp, now);
        PositionSeconds = _time.GetElapsedTime(_start, now).TotalSeconds;
        return true;
    }

    /// <inheritdoc />
    public void Rewind() => throw new NotSupportedException("live streams cannot rewind");

    private void Watch()
    {
        if (_time.GetElapsedTime(Interlocked.Read(ref _lastFrameTimestamp)) > _stallTimeout)
            Kill($"no frame within {_stallTimeout.TotalSeconds:0} s");
        else if (Interlocked.Exchange(ref _linesThisPeriod, 0) > FloodLines)
            Kill($"ffmpeg reported more than {FloodLines} errors in a second");
    }

    private void OnStderr(string? line)
    {
        if (string.IsNullOrWhiteSpace(line)) return;
        Interlocked.Increment(ref _linesThisPeriod);
        // FFmpeg names its input in errors: the password must not reach the log or the camera's status.
        line = _credentials.Redact(line);
        lock (_lastErrors)
        {
            _lastErrors.Enqueue(line.Length > 300 ? line[..300] : line);
            while (_lastErrors.Count > 3) _lastErrors.Dequeue();
        }
    }

    private string LastErrors()
    {
        lock (_lastErrors) return _lastErrors.Count == 0 ? "" : ": " + string.Join(" | ", _lastErrors);
    }

    private void Kill(string reason)
    {
        _killReason ??= reason;
        try { if (!_process.HasExited) _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { /* already gone */ }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _watchdog.Dispose();
        Kill("stopped");
        _process.WaitForExit(2000);
        _process.Dispose();
    }
}

/// <summary>Opens files in-process with OpenCV and everything else through FFmpeg.</summary>
public sealed class FrameSourceFactory(TimeProvider time, bool filesThroughFfmpeg = false) : IFrameSourceFactory
{
    /// <inheritdoc />
    public IFrameSource Open(CameraUri uri, CameraOptions camera) =>
        uri.Kind == SourceKind.File && !filesThroughFfmpeg
            ? new OpenCvFileSource(uri.Location)
            : new FfmpegSource(uri, camera, time);
}
