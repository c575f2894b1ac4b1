using System.Net;
using System.Net.Sockets;
using MQTTnet.Channel;

namespace WorkerPool.Fleet.Broker;

/// <summary>
/// Opens the broker connection as MQTTnet does (TCP, no delay), through a <see cref="BufferedSocketStream"/>: MQTTnet
/// reads each packet's fixed header, length and body separately (three receive calls per message) and writes each
/// packet on its own (one send call per 4-byte PUBACK); buffered, a burst of messages and their acknowledgements
/// costs a few calls per buffer-full instead. MQTTnet still puts TLS on top of this stream when the options ask for it.
/// </summary>
internal sealed class BufferedStreamProvider : IMqttClientStreamProvider
{
    /// <summary>Bytes read from the socket at once.</summary>
    public const int BufferSize = 64 * 1024;

    /// <inheritdoc />
    public async Task<Stream> ConnectAsync(EndPoint remoteEndPoint, CancellationToken cancellationToken)
    {
        var socket = remoteEndPoint is IPEndPoint ip ? new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp) : new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(remoteEndPoint, cancellationToken).ConfigureAwait(false);
            return new BufferedSocketStream(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}

/// <summary>
/// A socket's stream that reads ahead into a buffer and writes behind: a write is copied into a buffer and returns,
/// and one flush at a time sends everything written meanwhile, in order, in one call. A write waits only when more
/// than <see cref="MaxPendingBytes"/> are not sent yet; a send error fails the next write. It owns the socket.
/// One reader and one writer at a time (MQTTnet's receive loop, and its send lock).
/// </summary>
internal sealed class BufferedSocketStream(Socket socket) : Stream, IMqttClientStreamEndPoints
{
    /// <summary>Bytes written but not yet sent beyond which a write waits for the flush.</summary>
    public const int MaxPendingBytes = 256 * 1024;

    private readonly NetworkStream _inner = new(socket, ownsSocket: true);
    private readonly byte[] _buffer = new byte[BufferedStreamProvider.BufferSize];
    private int _start, _end;
    private readonly Lock _writeLock = new();
    private byte[] _pending = new byte[16 * 1024], _sending = new byte[16 * 1024];
    private int _pendingLength;
    private bool _flushing;
    private Exception? _writeError;
    private TaskCompletionSource? _room, _idle; // writers held back; FlushAsync and Dispose

    /// <inheritdoc />
    public EndPoint LocalEndPoint { get; } = socket.LocalEndPoint!;

    /// <inheritdoc />
    public EndPoint RemoteEndPoint { get; } = socket.RemoteEndPoint!;

    /// <inheritdoc />
    public override bool CanRead => _inner.CanRead;

    /// <inheritdoc />
    public override bool CanSeek => false;

    /// <inheritdoc />
    public override bool CanWrite => _inner.CanWrite;

    /// <inheritdoc />
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc />
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc />
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.Length == 0) return 0;
        if (_start == _end)
        {
            // A large read goes straight into the caller's buffer; a small one fills ours first.
            if (buffer.Length >= _buffer.Length) return await _inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            _start = 0;
            _end = await _inner.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
            if (_end == 0) return 0;
        }
        return Take(buffer.Span);
    }

    /// <inheritdoc />
    public override int Read(Span<byte> buffer)
    {
        if (buffer.Length == 0) return 0;
        if (_start == _end)
        {
            if (buffer.Length >= _buffer.Length) return _inner.Read(buffer);
            _start = 0;
            _end = _inner.Read(_buffer);
            if (_end == 0) return 0;
        }
        return Take(buffer);
    }

    /// <inheritdoc />
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int Take(Span<byte> destination)
    {
        int n = Math.Min(destination.Length, _end - _start);
        _buffer.AsSpan(_start, n).CopyTo(destination);
        _start += n;
        return n;
    }

    /// <inheritdoc />
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Task? wait = null;
        lock (_writeLock)
        {
            if (_writeError is { } error) throw new IOException("sending to the broker failed", error);
            if (_pendingLength + buffer.Length > _pending.Length) Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingLength + buffer.Length));
            buffer.Span.CopyTo(_pending.AsSpan(_pendingLength));
            _pendingLength += buffer.Length;
            if (!_flushing)
            {
                _flushing = true;
                _ = Task.Run(FlushLoopAsync, CancellationToken.None);
            }
            if (_pendingLength > MaxPendingBytes) wait = (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
        return wait is null ? ValueTask.CompletedTask : new ValueTask(wait.WaitAsync(cancellationToken));
    }

    /// <summary>Sends what was written, a buffer-full at a time, until nothing is left; the only sender.</summary>
    private async Task FlushLoopAsync()
    {
        while (true)
        {
            int length;
            lock (_writeLock)
            {
                if (_pendingLength == 0)
                {
                    _flushing = false;
                    _idle?.TrySetResult();
                    _idle = null;
                    return;
                }
                (_pending, _sending) = (_sending, _pending);
                length = _pendingLength;
                _pendingLength = 0;
                _room?.TrySetResult();
                _room = null;
            }
            try
            {
                await _inner.WriteAsync(_sending.AsMemory(0, length)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or SocketException)
            {
                lock (_writeLock)
                {
                    _writeError = ex;
                    _pendingLength = 0;
                    _flushing = false;
                    _room?.TrySetException(ex);
                    _idle?.TrySetException(ex);
                    (_room, _idle) = (null, null);
                }
                return;
            }
        }
    }

    /// <inheritdoc />
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc />
    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    /// <inheritdoc />
    public override void Write(ReadOnlySpan<byte> buffer)
    {
        Flush();
        _inner.Write(buffer);
    }

    /// <inheritdoc />
    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        lock (_writeLock)
        {
            if (_writeError is { } error) return Task.FromException(new IOException("sending to the broker failed", error));
            if (!_flushing) return Task.CompletedTask;
            return (_idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task.WaitAsync(cancellationToken);
        }
    }

    /// <inheritdoc />
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc />
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // What was written (a DISCONNECT, the last acknowledgements) goes out first, if it can within a second.
            try { FlushAsync(CancellationToken.None).Wait(TimeSpan.FromSeconds(1)); }
            catch (AggregateException) { }
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
