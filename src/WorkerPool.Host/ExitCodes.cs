namespace WorkerPool.Host;

/// <summary>Process exit codes (systemd's Restart=on-failure restarts on anything but 0 and config errors are not retried forever by the start limit).</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int InvalidConfig = 2;
    /// <summary>ONNX Runtime or OpenCV's native library does not load: a deployment problem that restarting cannot fix either.</summary>
    public const int NativeLibraryMissing = 3;
}
