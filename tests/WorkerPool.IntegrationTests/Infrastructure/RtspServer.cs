using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace WorkerPool.IntegrationTests.Infrastructure;

/// <summary>Debian's GStreamer RTSP server (Cameras/rtsp_server.py) serving the sample on a free 127.0.0.1 port.</summary>
public sealed class RtspServer : IDisposable
{
    private Process? _process;

    public RtspServer() => Port = FreePort();

    public int Port { get; }

    public string Url => $"rtsp://127.0.0.1:{Port}/test";

    public void Start()
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Cameras", "rtsp_server.py"));
        info.ArgumentList.Add(Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        info.ArgumentList.Add(Repo.Sample);
        _process = Process.Start(info)!;
        var ready = _process.StandardOutput.ReadLineAsync();
        if (!ready.Wait(TimeSpan.FromSeconds(20)) || ready.Result != "ready")
            throw new InvalidOperationException("RTSP server did not start: " + _process.StandardError.ReadToEnd());
    }

    public void Kill()
    {
        if (_process is null) return;
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit(5000);
        _process.Dispose();
        _process = null;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose() => Kill();
}
