namespace WorkerPool.Capture;

/// <summary>What kind of source a camera URL names.</summary>
public enum SourceKind
{
    /// <summary>A local video file (path or file:// URI).</summary>
    File,
    /// <summary>An RTSP stream.</summary>
    Rtsp,
    /// <summary>An HTTP(S) stream (MJPEG, HLS, ...).</summary>
    Http,
    /// <summary>A V4L2 device (usb:N or /dev/videoN).</summary>
    Usb,
}

/// <summary>A parsed camera URL.</summary>
public sealed record CameraUri(SourceKind Kind, string Location)
{
    /// <summary>Classifies a camera URL; false with a readable error when it is not usable.</summary>
    public static bool TryParse(string? url, out CameraUri? uri, out string? error)
    {
        uri = null;
        error = null;
        if (string.IsNullOrWhiteSpace(url)) { error = "is required"; return false; }
        if (url.StartsWith("rtsp://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("rtsps://", StringComparison.OrdinalIgnoreCase))
            uri = new(SourceKind.Rtsp, url);
        else if (url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || url.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            uri = new(SourceKind.Http, url);
        else if (url.StartsWith("usb:", StringComparison.OrdinalIgnoreCase))
        {
            if (!int.TryParse(url.AsSpan(4), System.Globalization.NumberStyles.None, null, out int n)) { error = $"'{url}' is not usb:N"; return false; }
            uri = new(SourceKind.Usb, $"/dev/video{n}");
        }
        else if (url.StartsWith("/dev/video", StringComparison.Ordinal))
            uri = new(SourceKind.Usb, url);
        else if (url.StartsWith("file://", StringComparison.OrdinalIgnoreCase))
            uri = new(SourceKind.File, Uri.UnescapeDataString(url["file://".Length..]));
        else if (url.Contains("://", StringComparison.Ordinal))
        {
            error = $"unsupported scheme in '{UrlUserInfo.Redact(url)}' (expected file://, rtsp://, http(s)://, usb:N or /dev/videoN)";
            return false;
        }
        else uri = new(SourceKind.File, url);
        return true;
    }
}
