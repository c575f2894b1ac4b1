using System.Net;
using System.Net.Sockets;

namespace WorkerPool.IntegrationTests.Infrastructure;

/// <summary>
/// A broker address that is unreachable until <see cref="Open"/>: then it forwards every connection to the real broker.
/// One client (a device) sees its broker away and back while the others (the ingest) stay connected to it directly.
/// </summary>
public sealed class TcpForwarder(int targetPort) : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private TcpListener? _listener;

    /// <summary>The port clients use; refused until <see cref="Open"/>.</summary>
    public int Port { get; } = RtspServer.FreePort();

    /// <summary>Starts forwarding.</summary>
    public void Open()
    {
        _listener = new TcpListener(IPAddress.Loopback, Port);
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener!.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException) { return; }
            _ = PipeAsync(client);
        }
    }

    private async Task PipeAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, targetPort, _stop.Token);
                NetworkStream a = client.GetStream(), b = upstream.GetStream();
                // Either side closing ends both.
                await Task.WhenAny(a.CopyToAsync(b, _stop.Token), b.CopyToAsync(a, _stop.Token));
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException) { }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener?.Stop();
        _stop.Dispose();
    }
}
