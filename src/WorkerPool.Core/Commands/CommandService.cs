using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using WorkerPool.Config;
using WorkerPool.Diagnostics;
using WorkerPool.Messaging;
using WorkerPool.Outbox;
using WorkerPool.Pipeline;
using WorkerPool.RemoteConfig;

namespace WorkerPool.Commands;

/// <summary>
/// Commands on <c>{prefix}/{deviceId}/cmd/{name}</c> with MQTT 5 request/response: the reply goes to the request's
/// response topic with its correlation data, as <c>{"ok": true, "result": …}</c> or <c>{"ok": false, "error": "…"}</c>.
/// Rate-limited per device; signed like desired configs when a fleet key is set (with a time stamp against replay).
/// </summary>
public sealed class CommandService
{
    /// <summary>Commands the device knows.</summary>
    public static readonly string[] Known = ["ping", "get-config", "get-stats", "snapshot", "restart-camera", "flush-outbox"];

    /// <summary>Largest snapshot JPEG sent (quality, then size, is lowered to fit).</summary>
    public const int MaxSnapshotBytes = 192 * 1024;

    private static readonly TimeSpan ReplayWindow = TimeSpan.FromMinutes(5);
    private readonly MqttConnection _connection;
    private readonly DesiredConfigProcessor _config;
    private readonly FleetSignature? _key;
    private readonly int _maxPayloadBytes;
    private readonly PipelineService _pipeline;
    private readonly OutboxPublisher _publisher;
    private readonly CountOutbox _outbox;
    private readonly HeartbeatPublisher _heartbeat;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly RateLimit _limit;

    /// <summary>Registers the subscription (made on every connect).</summary>
    public CommandService(MqttConnection connection, DesiredConfigProcessor config, FleetSignature? key, int maxPayloadBytes, PipelineService pipeline,
        OutboxPublisher publisher, CountOutbox outbox, HeartbeatPublisher heartbeat, TimeProvider time, ILogger logger, RateLimit? limit = null)
    {
        (_connection, _config, _key, _maxPayloadBytes, _pipeline, _publisher, _outbox, _heartbeat, _time, _logger) =
            (connection, config, key, maxPayloadBytes, pipeline, publisher, outbox, heartbeat, time, logger);
        _limit = limit ?? new RateLimit(10, TimeSpan.FromSeconds(1), time);
        connection.Subscribe(connection.Topics.Commands, OnCommandAsync);
    }

    private async Task OnCommandAsync(MqttApplicationMessage message)
    {
        string name = message.Topic[(message.Topic.LastIndexOf('/') + 1)..];
        if (string.IsNullOrEmpty(message.ResponseTopic))
        {
            Log.CommandRejected(_logger, name, "no MQTT 5 response topic to answer on");
            return;
        }
        JsonObject reply;
        try
        {
            reply = await HandleAsync(name, message.Payload.ToArray()).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            reply = Error($"command failed: {ex.Message}");
        }
        if (reply["ok"]?.GetValue<bool>() != true) Log.CommandRejected(_logger, name, reply["error"]?.GetValue<string>() ?? "");
        var answer = new MqttApplicationMessageBuilder()
            .WithTopic(message.ResponseTopic)
            .WithPayload(Encoding.UTF8.GetBytes(reply.ToJsonString()))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithContentType("application/json");
        if (message.CorrelationData is { Length: > 0 } correlation) answer.WithCorrelationData(correlation);
        await _connection.PublishAsync(answer.Build(), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Runs one command and returns the reply body.</summary>
    public async Task<JsonObject> HandleAsync(string name, byte[] payload)
    {
        if (!_limit.TryTake()) return Error("rate limited: too many commands; try again in a second");
        if (payload.Length > _maxPayloadBytes) return Error($"request is {payload.Length} bytes, more than mqtt.maxPayloadBytes ({_maxPayloadBytes})");
        JsonObject request;
        try
        {
            request = payload.Length == 0 ? [] : JsonNode.Parse(payload, documentOptions: new JsonDocumentOptions { MaxDepth = 32 }) as JsonObject
                ?? throw new JsonException("the request must be a JSON object");
        }
        catch (JsonException ex) { return Error("malformed request: " + ex.Message.Split(" Path:", 2)[0]); }
        if (!Known.Contains(name)) return Error($"unknown command '{name}' (known: {string.Join(", ", Known)})");
        if (_key is not null && Unauthenticated(name, request) is { } refusal) return Error(refusal);

        switch (name)
        {
            case "ping":
                return Ok(new JsonObject { ["pong"] = true, ["time"] = _time.GetUtcNow() });
            case "get-config":
                return Ok(JsonSerializer.SerializeToNode(_config.Effective, ConfigJsonContext.Default.DeviceConfig));
            case "get-stats":
                return Ok(JsonSerializer.SerializeToNode(_heartbeat.Build(), TelemetryJsonContext.Default.HeartbeatPayload));
            case "snapshot":
                string? shot = request["camera"] is JsonValue sv && sv.TryGetValue(out string? sid) ? sid : null;
                if (shot is null) return Error("snapshot needs {\"camera\": \"<id>\"}");
                var live = _pipeline.Pipeline;
                var picture = live is null ? null : await live.SnapshotAsync(shot, MaxSnapshotBytes, TimeSpan.FromSeconds(5)).ConfigureAwait(false);
                if (picture is not { } p) return Error($"no frame from camera '{shot}' (unknown, or not delivering)");
                return Ok(new JsonObject
                {
                    ["camera"] = shot, ["contentType"] = "image/jpeg", ["width"] = p.Width, ["height"] = p.Height,
                    ["jpeg"] = Convert.ToBase64String(p.Jpeg),
                });
            case "restart-camera":
                string? camera = request["camera"] is JsonValue v && v.TryGetValue(out string? id) ? id : null;
                if (camera is null) return Error("restart-camera needs {\"camera\": \"<id>\"}");
                var running = _pipeline.Pipeline;
                return running is not null && await running.RestartCameraAsync(camera).ConfigureAwait(false)
                    ? Ok(new JsonObject { ["camera"] = camera, ["restarted"] = true })
                    : Error($"no camera '{camera}'");
            default: // flush-outbox
                int published = 0;
                using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10), _time))
                {
                    try
                    {
                        int n;
                        while (_connection.IsConnected && (n = await _publisher.DrainOnceAsync(deadline.Token).ConfigureAwait(false)) > 0) published += n;
                    }
                    catch (OperationCanceledException) { }
                }
                return Ok(new JsonObject { ["published"] = published, ["backlog"] = _outbox.Stats().Backlog });
        }
    }

    /// <summary>Null when the request is signed by the fleet key and fresh; else why not.</summary>
    private string? Unauthenticated(string name, JsonObject request)
    {
        string? signature = request["signature"] is JsonValue s && s.TryGetValue(out string? text) ? text : null;
        if (signature is null) return "signature is required: this device only accepts commands signed with the fleet key";
        if (request["time"] is not JsonValue t || !t.TryGetValue(out string? stamp) || !DateTimeOffset.TryParse(stamp, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var when))
            return "time is required in signed commands (ISO-8601 UTC)";
        if ((_time.GetUtcNow() - when).Duration() > ReplayWindow) return $"time {stamp} is more than {ReplayWindow.TotalMinutes:0} minutes from the device's clock";
        return _key!.Verify(CommandBytes(_config.DeviceId, name, request), signature) ? null : "signature does not verify against the fleet key";
    }

    /// <summary>
    /// The bytes a command's signature covers: <c>"workerpool-cmd-v1\n{deviceId}\n{name}\n"</c> + canonical JSON of the
    /// request without its <c>signature</c> field.
    /// </summary>
    public static byte[] CommandBytes(string deviceId, string name, JsonObject request)
    {
        var unsigned = (JsonObject)request.DeepClone();
        unsigned.Remove("signature");
        using var doc = JsonDocument.Parse(unsigned.ToJsonString());
        return [.. Encoding.UTF8.GetBytes($"workerpool-cmd-v1\n{deviceId}\n{name}\n"), .. CanonicalJson.Bytes(doc.RootElement)];
    }

    private static JsonObject Ok(JsonNode? result) => new() { ["ok"] = true, ["result"] = result };

    private static JsonObject Error(string message) => new() { ["ok"] = false, ["error"] = message };
}
