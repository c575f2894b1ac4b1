using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using Polly;
using Polly.Retry;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Diagnostics;

namespace WorkerPool.Messaging;

/// <summary>
/// The device's one MQTT 5 session: connects with a last will (retained <c>offline</c>), announces a retained
/// <c>online</c> status, and reconnects forever with capped exponential backoff and jitter (Polly); a broker that
/// refuses the credentials is retried slowly. Every state change is logged once.
/// </summary>
public sealed class MqttConnection : Health.IBrokerLink, IMqttPublisher, IBrokerSwitch, IAsyncDisposable
{
    private volatile MqttOptions _options; // replaced by SwitchAsync only
    private readonly string _deviceId, _version;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IMqttClient _client;
    private readonly ResiliencePipeline _connect;
    private readonly object _gate = new();
    private readonly Dictionary<string, Func<MqttApplicationMessage, Task>> _subscriptions = new(StringComparer.Ordinal);
    private TaskCompletionSource _connected = NewSignal();
    private TaskCompletionSource _disconnected = NewSignal();
    private volatile ConnectionState _state = ConnectionState.Starting;
    private volatile string? _lastError;
    private volatile string? _tlsRejection;
    private long _connectAtTicks; // UTC ticks of the latest CONNECT (read from the stopping thread too)
    private CancellationTokenSource? _restart; // the running attempt and session of RunAsync; cancelled to move them
    private (MqttOptions Options, TaskCompletionSource Up)? _switch; // completed when a session is up on those options

    /// <summary>The service's connection, from the device config.</summary>
    public MqttConnection(DeviceConfig config, BuildInfo build, TimeProvider time, ILoggerFactory loggers)
        : this(config.Mqtt, config.DeviceId, build.Version, time, loggers.CreateLogger(LogCategories.Mqtt))
    {
    }

    /// <summary>Creates the connection; <see cref="RunAsync"/> connects.</summary>
    public MqttConnection(MqttOptions options, string deviceId, string version, TimeProvider time, ILogger logger)
    {
        _options = options;
        _deviceId = deviceId;
        _version = version;
        _time = time;
        _logger = logger;
        Topics = new Topics(options.TopicPrefix, deviceId);
        BootTime = time.GetUtcNow();
        _client = new MqttClientFactory().CreateMqttClient();
        _client.DisconnectedAsync += OnDisconnectedAsync;
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        _connect = new ResiliencePipelineBuilder { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(ex => ex is not OperationCanceledException),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromSeconds(1),
                MaxDelay = TimeSpan.FromSeconds(options.MaxBackoffSeconds),
                // Wrong credentials will not fix themselves in a second: wait long, log once per attempt.
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(IsAuthFailure(args.Outcome.Exception)
                    ? TimeSpan.FromSeconds(options.AuthFailureBackoffSeconds) : null),
                OnRetry = args =>
                {
                    _lastError = _tlsRejection is { } tls ? "TLS: " + tls : Describe(args.Outcome.Exception);
                    _tlsRejection = null;
                    _state = IsAuthFailure(args.Outcome.Exception) ? ConnectionState.Refused : ConnectionState.Reconnecting;
                    Log.MqttConnectFailed(_logger, _options.Host, _options.Port, _lastError, args.RetryDelay.TotalSeconds);
                    return default;
                },
            })
            .Build();
    }

    /// <summary>The device's topics.</summary>
    public Topics Topics { get; }

    /// <summary>When this process started its MQTT session handling.</summary>
    public DateTimeOffset BootTime { get; }

    /// <summary>
    /// True while a session is up in full: CONNACK, online status and subscriptions. Between CONNACK and the SUBACK
    /// MQTTnet already says connected, but that attempt may still be closed.
    /// </summary>
    public bool IsConnected
    {
        get { lock (_gate) return _client.IsConnected && _connected.Task.IsCompleted; }
    }

    /// <summary>Where the connection is now.</summary>
    public ConnectionState State => _state;

    /// <summary>Why the last connection attempt failed, or null.</summary>
    public string? LastError => _lastError;

    /// <summary>Raised after each successful connect (and the online status), e.g. to send a heartbeat at once.</summary>
    public event Func<Task>? Connected;

    /// <summary>
    /// Handles messages on the topic filter <paramref name="topic"/> (QoS 1, MQTT wildcards), subscribed on every
    /// connect. Register before <see cref="RunAsync"/>.
    /// </summary>
    public void Subscribe(string topic, Func<MqttApplicationMessage, Task> handler)
    {
        lock (_gate) _subscriptions[topic] = handler;
    }

    /// <summary>Completes when a session is up in full (at once if one is; see <see cref="IsConnected"/>).</summary>
    public Task WaitConnectedAsync(CancellationToken cancellationToken)
    {
        lock (_gate) return _client.IsConnected && _connected.Task.IsCompleted ? Task.CompletedTask : _connected.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Longest wait between reconnect attempts, also the cap of the publisher's backoff.</summary>
    public TimeSpan MaxBackoff => TimeSpan.FromSeconds(_options.MaxBackoffSeconds);

    /// <summary>
    /// Publishes one message; throws when not connected, and <see cref="TimeoutException"/> when the broker does not
    /// take it (QoS 1: acknowledge it) within <see cref="MqttOptions.TimeoutSeconds"/>. MQTTnet applies its own
    /// timeout only to calls that cannot be cancelled, so a broker that stops answering would otherwise hold the
    /// caller for good.
    /// </summary>
    public async Task<MqttClientPublishResult> PublishAsync(MqttApplicationMessage message, CancellationToken cancellationToken)
    {
        using var deadline = Deadline(cancellationToken, out var token);
        try { return await _client.PublishAsync(message, token).ConfigureAwait(false); }
        catch (Exception ex) when (deadline.Expired(ex))
        {
            throw new TimeoutException($"the broker did not acknowledge within {_options.TimeoutSeconds} s", ex);
        }
    }

    /// <summary>A token cancelled by the caller's or after <see cref="MqttOptions.TimeoutSeconds"/>, whichever comes first.</summary>
    private CallDeadline Deadline(CancellationToken cancellationToken, out CancellationToken token)
    {
        var deadline = new CallDeadline(TimeSpan.FromSeconds(_options.TimeoutSeconds), _time, cancellationToken);
        token = deadline.Token;
        return deadline;
    }

    private sealed class CallDeadline(TimeSpan timeout, TimeProvider time, CancellationToken caller) : IDisposable
    {
        private readonly CancellationTokenSource _timeout = new(timeout, time);
        private CancellationTokenSource? _linked;

        public CancellationToken Token => (_linked ??= CancellationTokenSource.CreateLinkedTokenSource(caller, _timeout.Token)).Token;

        /// <summary>
        /// True when a call failed because this deadline passed, not the caller's token: MQTTnet reports that as a
        /// cancellation, as its own timeout, or as a closed connection ("Error while authenticating"), by the moment.
        /// </summary>
        public bool Expired(Exception ex) =>
            !caller.IsCancellationRequested && (_timeout.IsCancellationRequested || ex is MQTTnet.Exceptions.MqttCommunicationTimedOutException);

        public void Dispose()
        {
            _linked?.Dispose();
            _timeout.Dispose();
        }
    }

    /// <summary>Keeps the session up until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            lock (_gate) _restart = attempt;
            try
            {
                _state = ConnectionState.Connecting;
                await _connect.ExecuteAsync(ConnectOnceAsync, attempt.Token).ConfigureAwait(false);
                Task session;
                lock (_gate) session = _disconnected.Task; // the signal of the session that just came up
                await session.WaitAsync(attempt.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }
            catch (OperationCanceledException)
            {
                // SwitchAsync moved the settings: leave this broker cleanly, then connect at once with the new ones
                // (not after the backoff the old broker may have earned).
                await LeaveAsync().ConfigureAwait(false);
            }
            finally
            {
                lock (_gate) _restart = null;
            }
        }
    }

    /// <summary>Tells the broker of the session ending the device is moving (retained offline), and disconnects cleanly.</summary>
    private async Task LeaveAsync()
    {
        if (!_client.IsConnected) return;
        Task ended;
        lock (_gate) ended = _disconnected.Task;
        try
        {
            await SayOfflineAndDisconnectAsync("moving", CancellationToken.None).ConfigureAwait(false);
            // MQTTnet may raise the disconnect event after this returns: it must end this session, not the next one.
            await ended.WaitAsync(TimeSpan.FromSeconds(_options.TimeoutSeconds), _time).ConfigureAwait(false);
        }
        catch (TimeoutException) { } // no event: nothing left to end a later session
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.MqttWarning(_logger, "leaving the old broker: " + ex.Message);
        }
    }

    /// <inheritdoc />
    public async Task<string?> ProbeAsync(MqttOptions options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var client = new MqttClientFactory().CreateMqttClient();
        string? tlsRejection = null;
        // Its own client id: a broker drops an older session with the same id, and that would be the device's own.
        string clientId = (string.IsNullOrEmpty(options.ClientId) ? _deviceId : options.ClientId) + "-probe";
        var connect = BuildOptions(options, clientId, will: false, why => tlsRejection = why);
        using var deadline = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            var result = await client.ConnectAsync(connect, linked.Token).ConfigureAwait(false);
            if (result.ResultCode != MqttClientConnectResultCode.Success) return new MqttRefusedException(result.ResultCode, result.ReasonString).Message;
            try { await client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), linked.Token).ConfigureAwait(false); }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested) { Log.MqttWarning(_logger, "test connection: " + ex.Message); }
            return null;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            if (tlsRejection is not null) return "TLS: " + tlsRejection;
            if (deadline.IsCancellationRequested || ex is MQTTnet.Exceptions.MqttCommunicationTimedOutException)
                return $"timeout: no answer within {timeout.TotalSeconds:0} s";
            return Classify(ex);
        }
    }

    /// <inheritdoc />
    public async Task<string?> SwitchAsync(MqttOptions options, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var old = _options;
        Log.MqttSwitching(_logger, old.Host, old.Port, options.Host, options.Port);
        try
        {
            await MoveTo(options).WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (TimeoutException)
        {
            string why = $"the session did not come up on {options.Host}:{options.Port} within {timeout.TotalSeconds:0} s"
                + (_lastError is { } error ? $" ({error})" : "");
            Log.MqttSwitchReverted(_logger, why, old.Host, old.Port);
            // Back to the old broker; the connection loop keeps trying it as ever if it does not answer at once.
            try { await MoveTo(old).WaitAsync(timeout, _time, cancellationToken).ConfigureAwait(false); }
            catch (TimeoutException) { Log.MqttWarning(_logger, $"not yet back on {old.Host}:{old.Port}; still trying"); }
            return why;
        }
    }

    /// <summary>Puts <paramref name="options"/> in effect and restarts the session on them; completes once it is up there.</summary>
    private Task MoveTo(MqttOptions options)
    {
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            _options = options;
            _switch = (options, up);
            _lastError = null;
            _restart?.Cancel();
        }
        return up.Task;
    }

    /// <summary>Publishes the retained offline status and disconnects cleanly (the will is not sent then).</summary>
    public async Task ShutdownAsync(CancellationToken cancellationToken)
    {
        _state = ConnectionState.Stopped;
        if (!_client.IsConnected) return;
        try
        {
            await SayOfflineAndDisconnectAsync("shutdown", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.MqttWarning(_logger, ex.Message);
        }
    }

    /// <summary>The retained offline status with <paramref name="reason"/>, then a clean DISCONNECT, so the broker does not send the will.</summary>
    private async Task SayOfflineAndDisconnectAsync(string reason, CancellationToken cancellationToken)
    {
        await PublishAsync(StatusMessage("offline", reason), cancellationToken).ConfigureAwait(false);
        await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// One attempt: CONNECT, the online status and the subscriptions, each within the timeout. An attempt that fails
    /// after the CONNECT closes what it opened, so the next one starts clean; only a session set up in full gets a
    /// disconnect signal that <see cref="RunAsync"/> waits on (a failed attempt's events must not end a later session).
    /// </summary>
    private async ValueTask ConnectOnceAsync(CancellationToken cancellationToken)
    {
        var options = _options; // one attempt, one set of settings, even if SwitchAsync moves them meanwhile
        var session = NewSignal();
        lock (_gate) _disconnected = session;
        try
        {
            using (var deadline = Deadline(cancellationToken, out var token))
            {
                try
                {
                    var result = await _client.ConnectAsync(BuildOptions(options), token).ConfigureAwait(false);
                    if (result.ResultCode != MqttClientConnectResultCode.Success) throw new MqttRefusedException(result.ResultCode, result.ReasonString);
                }
                catch (Exception ex) when (deadline.Expired(ex))
                {
                    throw new TimeoutException($"the broker did not answer the CONNECT within {_options.TimeoutSeconds} s", ex);
                }
            }
            // The session is up once CONNACK came; a status the broker does not acknowledge is said, not fatal.
            try { await PublishAsync(StatusMessage("online", null), cancellationToken).ConfigureAwait(false); }
            catch (TimeoutException ex) { Log.MqttWarning(_logger, "online status: " + ex.Message); }
            string[] topics;
            lock (_gate) topics = [.. _subscriptions.Keys];
            if (topics.Length > 0)
            {
                var subscribe = new MqttClientSubscribeOptionsBuilder();
                foreach (var topic in topics) subscribe.WithTopicFilter(topic, MqttQualityOfServiceLevel.AtLeastOnce);
                using var deadline = Deadline(cancellationToken, out var token);
                try { await _client.SubscribeAsync(subscribe.Build(), token).ConfigureAwait(false); }
                catch (Exception ex) when (deadline.Expired(ex))
                {
                    throw new TimeoutException($"the broker did not answer the SUBSCRIBE within {_options.TimeoutSeconds} s", ex);
                }
            }
            if (!_client.IsConnected) throw new IOException("the connection closed while it was being set up");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            if (_client.IsConnected)
            {
                try { await _client.DisconnectAsync(new MqttClientDisconnectOptions(), CancellationToken.None).ConfigureAwait(false); }
                catch (Exception close) when (close is not OperationCanceledException) { Log.MqttWarning(_logger, close.Message); }
            }
            throw;
        }
        _state = ConnectionState.Connected;
        _lastError = null;
        Log.MqttConnected(_logger, options.Host, options.Port, _client.Options.ClientId);
        lock (_gate)
        {
            _connected.TrySetResult();
            if (_switch is { } moved && ReferenceEquals(moved.Options, options)) moved.Up.TrySetResult();
        }
        if (Connected is { } handler)
        {
            try { await handler().ConfigureAwait(false); }
            catch (Exception ex) when (ex is not OperationCanceledException) { Log.MqttWarning(_logger, ex.Message); }
        }
    }

    private async Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        Func<MqttApplicationMessage, Task>? handler = null;
        string topic = e.ApplicationMessage.Topic;
        lock (_gate)
        {
            foreach (var (filter, candidate) in _subscriptions)
                if (MqttTopicFilterComparer.Compare(topic, filter) == MqttTopicFilterCompareResult.IsMatch) { handler = candidate; break; }
        }
        if (handler is null) return;
        try { await handler(e.ApplicationMessage).ConfigureAwait(false); }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bad message must never take the session down.
            Log.MessageHandlerFailed(_logger, ex, e.ApplicationMessage.Topic);
        }
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        lock (_gate)
        {
            if (e.ClientWasConnected)
            {
                // A fresh signal for the next session, unless the current one was never completed: someone may be
                // waiting on it (an attempt that failed after CONNACK disconnects too), and the next success completes it.
                if (_connected.Task.IsCompleted) _connected = NewSignal();
                if (_state != ConnectionState.Stopped)
                {
                    _state = ConnectionState.Reconnecting;
                    _lastError = e.Exception?.Message ?? e.ReasonString ?? e.Reason.ToString();
                    Log.MqttDisconnected(_logger, _lastError);
                }
                // Only a session that was up ends here: MQTTnet raises this for failed attempts too.
                _disconnected.TrySetResult();
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>The options of one CONNECT, the last will with them (internal: tests read the will as the broker gets it).</summary>
    internal MqttClientOptions BuildOptions() => BuildOptions(_options);

    private MqttClientOptions BuildOptions(MqttOptions options)
    {
        // The will is fixed now, for the whole session: it names this moment, the session's start, and no later one.
        Interlocked.Exchange(ref _connectAtTicks, _time.GetUtcNow().UtcTicks);
        return BuildOptions(options, string.IsNullOrEmpty(options.ClientId) ? _deviceId : options.ClientId, will: true, why => _tlsRejection = why);
    }

    /// <summary>
    /// The CONNECT for <paramref name="options"/>: the session's (with the last will) and the test connection's
    /// (without: its end says nothing about the device) are built by this one method, TLS and credentials included.
    /// </summary>
    private MqttClientOptions BuildOptions(MqttOptions options, string clientId, bool will, Action<string?> tlsVerdict)
    {
        var builder = new MqttClientOptionsBuilder()
            .WithTcpServer(options.Host, options.Port)
            .WithClientId(clientId)
            .WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500)
            .WithKeepAlivePeriod(TimeSpan.FromSeconds(options.KeepAliveSeconds))
            .WithTimeout(TimeSpan.FromSeconds(options.TimeoutSeconds))
            .WithCleanStart(true);
        if (will)
        {
            builder.WithWillTopic(Topics.Status)
                .WithWillPayload(JsonSerializer.SerializeToUtf8Bytes(WillPayload(), ContractJsonContext.Default.StatusPayload))
                .WithWillRetain(true)
                .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithWillContentType("application/json");
        }
        if (!string.IsNullOrEmpty(options.Username))
            builder.WithCredentials(options.Username, Secrets.ReadPassword(options));
        if (options.Tls.Enabled) builder.WithTlsOptions(tls => ConfigureTls(tls, options, tlsVerdict));
        return builder.Build();
    }

    private static void ConfigureTls(MqttClientTlsOptionsBuilder tls, MqttOptions options, Action<string?> verdict)
    {
        var t = options.Tls;
        tls.UseTls().WithTargetHost(string.IsNullOrEmpty(t.ServerName) ? options.Host : t.ServerName);
        X509Certificate2? ca = string.IsNullOrEmpty(t.CaFile) ? null : X509CertificateLoader.LoadCertificateFromFile(t.CaFile);
        string expected = string.IsNullOrEmpty(t.ServerName) ? options.Host : t.ServerName;
        tls.WithCertificateValidationHandler(ctx =>
        {
            string? rejection = TlsTrust.Check(ctx.Certificate, ctx.SslPolicyErrors, ca, expected);
            verdict(rejection);
            return rejection is null;
        });
        if (!string.IsNullOrEmpty(t.CertFile) && !string.IsNullOrEmpty(t.KeyFile))
            tls.WithClientCertificates([TlsTrust.LoadClientCertificate(t.CertFile, t.KeyFile)]);
    }

    /// <summary>
    /// The last will: made at CONNECT and published by the broker whenever the device vanishes, so it carries only what
    /// is true at connect time: no <c>time</c>, but <c>connectedAt</c>, the start of the session it ends.
    /// </summary>
    internal StatusPayload WillPayload() => new("offline", _deviceId, null, null, null, "lost")
    {
        TimeZone = _time.LocalTimeZone.Id, ConnectedAt = ConnectedAt,
    };

    /// <summary>The status the device publishes itself: <c>online</c> after CONNACK, <c>offline</c> at a clean stop.</summary>
    internal StatusPayload StatusOf(string state, string? reason) =>
        new(state, _deviceId, _version, state == "online" ? BootTime : null, _time.GetUtcNow(), reason)
        {
            TimeZone = _time.LocalTimeZone.Id, ConnectedAt = ConnectedAt,
        };

    private DateTimeOffset ConnectedAt => new(Interlocked.Read(ref _connectAtTicks), TimeSpan.Zero);

    /// <summary>A retained status message.</summary>
    internal MqttApplicationMessage StatusMessage(string state, string? reason) => new MqttApplicationMessageBuilder()
        .WithTopic(Topics.Status)
        .WithPayload(JsonSerializer.SerializeToUtf8Bytes(StatusOf(state, reason), ContractJsonContext.Default.StatusPayload))
        .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
        .WithRetainFlag(true)
        .WithContentType("application/json")
        .Build();

    private static bool IsAuthFailure(Exception? ex) => ex is MqttRefusedException f &&
        f.ResultCode is MqttClientConnectResultCode.NotAuthorized or MqttClientConnectResultCode.BadUserNameOrPassword;

    private static string Describe(Exception? ex) => ex switch
    {
        null => "unknown error",
        MqttRefusedException f => f.Message,
        _ when ex.InnerException is { } inner && ex.Message.Contains("Error while connecting", StringComparison.Ordinal) => inner.Message,
        _ => ex.Message,
    };

    /// <summary>Why a test connection failed, in the words an operator acts on: DNS, refused, TLS, the broker's refusal.</summary>
    private static string Classify(Exception ex)
    {
        for (Exception? e = ex; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case System.Net.Sockets.SocketException s:
                    return s.SocketErrorCode switch
                    {
                        System.Net.Sockets.SocketError.ConnectionRefused => "connection refused (nothing listens on that port)",
                        System.Net.Sockets.SocketError.HostNotFound or System.Net.Sockets.SocketError.NoData or System.Net.Sockets.SocketError.TryAgain
                            => "DNS: the host name does not resolve (" + s.Message + ")",
                        System.Net.Sockets.SocketError.TimedOut => "timeout: " + s.Message,
                        _ => s.Message,
                    };
                case System.Security.Authentication.AuthenticationException a:
                    return "TLS: " + a.Message;
                case MqttRefusedException r:
                    return r.Message;
            }
        }
        return Describe(ex);
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _client.DisconnectedAsync -= OnDisconnectedAsync;
        _client.ApplicationMessageReceivedAsync -= OnMessageAsync;
        if (_client.IsConnected)
        {
            try { await _client.DisconnectAsync().ConfigureAwait(false); }
            catch (Exception ex) when (ex is not OperationCanceledException) { Log.MqttWarning(_logger, ex.Message); }
        }
        _client.Dispose();
    }
}
