using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using WorkerPool.RemoteConfig;
using WorkerPool.Contracts;

namespace WorkerPool.Commands;

/// <summary>One command as it arrived: its name, payload, and the MQTT 5 response topic and correlation data.</summary>
public sealed record CommandMessage(string Name, byte[] Payload, string ResponseTopic, byte[] CorrelationData);

/// <summary>The gate's verdict: the parsed request, or why not; <see cref="Answer"/> is false when even a refusal is not sent.</summary>
public sealed record Admission(JsonObject? Request, string? Error, bool Answer = true)
{
    /// <summary>True when the command may run.</summary>
    public bool Admitted => Request is not null;
}

/// <summary>
/// Decides whether a command runs: size cap, JSON shape, known name, and, when a fleet key is set, a signature over
/// the request, its response topic and its correlation data, a time within <see cref="ReplayWindow"/> of the
/// device's clock, and a nonce not seen within twice that window. Admitted and refused commands draw on separate
/// budgets, so a flood of bad requests cannot lock out the fleet's real ones; refusals over their budget get no
/// answer at all.
/// </summary>
public sealed class CommandGate : IDisposable
{
    /// <summary>How far a signed command's time may be from the device's clock.</summary>
    public static readonly TimeSpan ReplayWindow = TimeSpan.FromMinutes(5);

    /// <summary>Most nonces remembered (admitted commands are rate-limited, so this covers the window many times over).</summary>
    public const int MaxNonces = 8192;

    private readonly string _deviceId;
    private readonly IReadOnlyCollection<string> _known;
    private readonly Func<Config.SecurityOptions?> _security;
    private readonly FleetKeys _keys = new(), _resendKey = new();
    private readonly int _maxPayloadBytes;
    private readonly TimeProvider _time;
    private readonly RateLimit _admitted, _refused;
    private readonly Dictionary<string, DateTimeOffset> _nonces = new(StringComparer.Ordinal);
    private readonly Queue<(string Nonce, DateTimeOffset Seen)> _nonceOrder = new();
    private readonly object _lock = new();

    /// <summary>Creates the gate; <paramref name="security"/> gives the fleet keys in effect; budgets default to 10 at once, then 1 per second, each.</summary>
    public CommandGate(string deviceId, IReadOnlyCollection<string> known, Func<Config.SecurityOptions?> security, int maxPayloadBytes, TimeProvider time,
        RateLimit? admitted = null, RateLimit? refused = null)
    {
        (_deviceId, _known, _security, _maxPayloadBytes, _time) = (deviceId, known, security, maxPayloadBytes, time);
        _admitted = admitted ?? new RateLimit(10, TimeSpan.FromSeconds(1), time);
        _refused = refused ?? new RateLimit(10, TimeSpan.FromSeconds(1), time);
    }

    /// <summary>The service's gate: the device's id and payload cap (fixed at start), the keys of the config in effect (a rotation changes them), the commands that have a handler.</summary>
    public CommandGate(Microsoft.Extensions.Options.IOptions<Config.DeviceConfig> config, Microsoft.Extensions.Options.IOptionsMonitor<Config.SecurityOptions> security,
        IEnumerable<ICommandHandler> handlers, TimeProvider time)
        : this(config.Value.DeviceId, [.. handlers.Select(h => h.Name)], () => security.CurrentValue, config.Value.Mqtt.MaxPayloadBytes, time)
    {
    }

    /// <summary>Refusals that got no answer because their budget was spent.</summary>
    public long Unanswered => Interlocked.Read(ref _unanswered);

    private long _unanswered;

    /// <summary>Checks one command.</summary>
    public Admission Check(CommandMessage message)
    {
        if (Refusal(message, out var request) is { } error)
        {
            if (_refused.TryTake()) return new Admission(null, error);
            Interlocked.Increment(ref _unanswered);
            return new Admission(null, error, Answer: false);
        }
        return _admitted.TryTake() ? new Admission(request, null) : new Admission(null, "rate limited: too many commands; try again in a second");
    }

    private string? Refusal(CommandMessage message, out JsonObject? request)
    {
        request = null;
        if (message.Payload.Length > _maxPayloadBytes) return $"request is {message.Payload.Length} bytes, more than mqtt.maxPayloadBytes ({_maxPayloadBytes})";
        try
        {
            request = message.Payload.Length == 0 ? [] : JsonNode.Parse(message.Payload, documentOptions: new JsonDocumentOptions { MaxDepth = 32 }) as JsonObject
                ?? throw new JsonException("the request must be a JSON object");
        }
        catch (JsonException ex) { return "malformed request: " + ex.Message.Split(" Path:", 2)[0]; }
        if (!_known.Contains(message.Name)) return $"unknown command '{message.Name}' (known: {string.Join(", ", _known)})";
        var security = _security();
        if (FleetKeys.Required(security) && Unauthenticated(message, request, security!) is { } refusal)
        {
            request = null;
            return refusal;
        }
        return null;
    }

    private string? Unauthenticated(CommandMessage message, JsonObject request, Config.SecurityOptions security)
    {
        string? signature = request["signature"] is JsonValue s && s.TryGetValue(out string? text) ? text : null;
        if (signature is null) return "signature is required: this device only accepts commands signed with the fleet key";
        if (request["time"] is not JsonValue t || !t.TryGetValue(out string? stamp)
            || !DateTimeOffset.TryParse(stamp, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var when))
            return "time is required in signed commands (ISO-8601 UTC)";
        if (request["nonce"] is not JsonValue n || !n.TryGetValue(out string? nonce) || nonce.Length is < 16 or > 128)
            return "nonce is required in signed commands (16 to 128 characters, new for every command)";
        var now = _time.GetUtcNow();
        if ((now - when).Duration() > ReplayWindow) return $"time {stamp} is more than {ReplayWindow.TotalMinutes:0} minutes from the device's clock";
        var signed = CommandSignature.Bytes(_deviceId, message.Name, message.ResponseTopic, message.CorrelationData, request);
        if (_keys.Verify(security, signed, signature) == FleetKeyUsed.None && !ResendSigned(message.Name, security, signed, signature))
            return "signature does not verify against the fleet key (it covers the device, the command, the request, its response topic and correlation data)";
        return Remember(nonce, now) ? null : "nonce was used before: a command is accepted once";
    }

    // The ingest's key signs resend requests only: any other command signed with it is refused like a forgery.
    private bool ResendSigned(string name, Config.SecurityOptions security, byte[] signed, string signature) =>
        name == "resend" && !string.IsNullOrEmpty(security.ResendPublicKey)
        && _resendKey.Verify(new Config.SecurityOptions { FleetPublicKey = security.ResendPublicKey }, signed, signature) != FleetKeyUsed.None;

    /// <summary>Notes a verified command's nonce; false when it was seen within twice the replay window.</summary>
    private bool Remember(string nonce, DateTimeOffset now)
    {
        lock (_lock)
        {
            while (_nonceOrder.TryPeek(out var oldest) && (now - oldest.Seen > 2 * ReplayWindow || _nonceOrder.Count >= MaxNonces))
            {
                _nonceOrder.Dequeue();
                _nonces.Remove(oldest.Nonce);
            }
            if (_nonces.ContainsKey(nonce)) return false;
            _nonces[nonce] = now;
            _nonceOrder.Enqueue((nonce, now));
            return true;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _keys.Dispose();
        _resendKey.Dispose();
    }
}
