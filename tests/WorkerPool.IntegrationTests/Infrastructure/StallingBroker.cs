using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace WorkerPool.IntegrationTests.Infrastructure;

/// <summary>
/// A broker that fails in the ways a real one sometimes does, on a free 127.0.0.1 port: <see cref="Mode.Silent"/>
/// accepts TCP and never says a word; <see cref="Mode.NoPuback"/> speaks MQTT 5 (CONNACK, SUBACK, PINGRESP) but
/// never acknowledges a QoS 1 PUBLISH; <see cref="Mode.FirstSubscribeUnanswered"/> leaves the first SUBSCRIBE
/// unanswered and then works (PUBACK included). Just enough of the protocol for MQTTnet's client.
/// </summary>
public sealed class StallingBroker : IDisposable
{
    public enum Mode { Silent, NoPuback, FirstSubscribeUnanswered }

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _clients = [];
    private readonly Mode _mode;
    private int _connects, _subscribes;

    public StallingBroker(Mode mode)
    {
        _mode = mode;
        _listener.Start();
        _ = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>CONNECT packets received.</summary>
    public int Connects => Volatile.Read(ref _connects);

    /// <summary>SUBSCRIBE packets received.</summary>
    public int Subscribes => Volatile.Read(ref _subscribes);

    /// <summary>Every PUBLISH received, in order: its topic, when it came, and the number of the CONNECT it came after.</summary>
    public ConcurrentQueue<(string Topic, DateTime At, int Connect)> Published { get; } = new();

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _clients.Add(client);
            if (_mode != Mode.Silent) _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        var stream = client.GetStream();
        try
        {
            for (int packets = 0; packets < 100_000 && !_stop.IsCancellationRequested; packets++)
            {
                var header = new byte[1];
                if (await stream.ReadAsync(header, _stop.Token) == 0) return;
                int length = 0;
                for (int shift = 0; ; shift += 7)
                {
                    int b = stream.ReadByte();
                    if (b < 0) return;
                    length |= (b & 0x7F) << shift;
                    if ((b & 0x80) == 0) break;
                }
                var body = new byte[length];
                int connect = Connects;
                await stream.ReadExactlyAsync(body, _stop.Token);
                switch (header[0] >> 4)
                {
                    case 1: // CONNECT -> CONNACK: no session, success, no properties
                        Interlocked.Increment(ref _connects);
                        await stream.WriteAsync(new byte[] { 0x20, 0x03, 0x00, 0x00, 0x00 }, _stop.Token);
                        break;
                    case 3: // PUBLISH: noted; acknowledged (QoS 1) unless this broker never does
                        int topicLength = body[0] << 8 | body[1];
                        Published.Enqueue((System.Text.Encoding.UTF8.GetString(body, 2, topicLength), DateTime.UtcNow, connect));
                        if (_mode != Mode.NoPuback && (header[0] >> 1 & 3) == 1)
                            await stream.WriteAsync(new byte[] { 0x40, 0x02, body[2 + topicLength], body[3 + topicLength] }, _stop.Token);
                        break;
                    case 8: // SUBSCRIBE -> SUBACK granting QoS 1 to every filter (the first one perhaps not)
                        if (Interlocked.Increment(ref _subscribes) == 1 && _mode == Mode.FirstSubscribeUnanswered) break;
                        await stream.WriteAsync(SubAck(body), _stop.Token);
                        break;
                    case 12: // PINGREQ -> PINGRESP
                        await stream.WriteAsync(new byte[] { 0xD0, 0x00 }, _stop.Token);
                        break;
                    case 14: // DISCONNECT
                        return;
                }
            }
        }
        catch (Exception) { } // the client went away or the test ended
    }

    private static byte[] SubAck(byte[] body)
    {
        // Packet id, properties (length-prefixed), then filters: 2-byte length, text, one options byte.
        int at = 2, propsLength = 0;
        for (int shift = 0; ; shift += 7)
        {
            int b = body[at++];
            propsLength |= (b & 0x7F) << shift;
            if ((b & 0x80) == 0) break;
        }
        at += propsLength;
        int filters = 0;
        while (at < body.Length)
        {
            at += 2 + (body[at] << 8 | body[at + 1]) + 1;
            filters++;
        }
        var ack = new List<byte> { 0x90, (byte)(3 + filters), body[0], body[1], 0x00 };
        for (int i = 0; i < filters; i++) ack.Add(0x01);
        return [.. ack];
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        foreach (var c in _clients) c.Dispose();
        _stop.Dispose();
    }
}
