using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using WorkerPool.Diagnostics;
using WorkerPool.Messaging;
using WorkerPool.Outbox;

namespace WorkerPool.Commands.Handlers;

/// <summary>
/// <c>resend</c> <c>{"camera", "fromSeq", "toSeq"}</c>: publishes again, QoS 1, each record of that range the broker
/// acknowledged and the outbox still keeps (<see cref="Config.OutboxOptions.ArchiveHours"/>), exactly as it went the
/// first time (payload, <c>messageId</c>, user properties), so the fleet side stores what it lost once and drops the
/// rest as duplicates. Records still waiting in the outbox are left to go in their turn. Answers
/// <c>{"resent": n, "missing": [[from, to], …]}</c>: the seqs neither kept nor waiting.
/// </summary>
public sealed class ResendCommand(CountOutbox outbox, IMqttPublisher mqtt, ILoggerFactory loggers) : ICommandHandler
{
    /// <summary>Most records one request may ask for (the fleet's ingest asks for longer gaps in parts).</summary>
    public const int MaxRecords = 500;

    private const string Shape = "resend needs {\"camera\": \"<id>\", \"fromSeq\": <first>, \"toSeq\": <last>}";
    private readonly ILogger _logger = loggers.CreateLogger(LogCategories.Commands);

    /// <inheritdoc />
    public string Name => "resend";

    /// <inheritdoc />
    public async Task<JsonNode?> RunAsync(JsonObject request)
    {
        var (camera, from, to) = Parse(request);
        ArchivedRange range;
        try { range = outbox.FindDelivered(camera, from, to); }
        catch (OutboxUnavailableException ex) { throw new CommandException($"the outbox cannot be read: {ex.Message}"); }
        int resent = 0;
        foreach (var entry in range.Delivered)
        {
            var result = await mqtt.PublishAsync(CountMessage.Of(entry, mqtt.Topics), CancellationToken.None).ConfigureAwait(false);
            if (!result.IsSuccess)
                throw new CommandException($"the broker refused seq {entry.Seq} ({result.ReasonString ?? result.ReasonCode.ToString()}) after {resent} resent");
            resent++;
        }
        long missing = range.Missing.Sum(m => m.To - m.From + 1);
        Log.RecordsResent(_logger, resent, camera, from, to, missing);
        return new JsonObject
        {
            ["resent"] = resent,
            ["missing"] = new JsonArray([.. range.Missing.Select(m => (JsonNode)new JsonArray(m.From, m.To))]),
        };
    }

    /// <summary>The request's camera and range, or a <see cref="CommandException"/> that says what is wrong.</summary>
    private static (string Camera, long From, long To) Parse(JsonObject request)
    {
        if (request["camera"] is not JsonValue c || !c.TryGetValue(out string? camera) || camera.Length == 0)
            throw new CommandException(Shape);
        if (Seq(request, "fromSeq") is not { } from || Seq(request, "toSeq") is not { } to)
            throw new CommandException(Shape + ": fromSeq and toSeq are whole numbers");
        if (from < 1) throw new CommandException($"fromSeq must be at least 1 (it is {from})");
        if (to < from) throw new CommandException($"toSeq ({to}) must not be below fromSeq ({from})");
        if (to - from >= MaxRecords) throw new CommandException($"at most {MaxRecords} records per resend: {from} to {to} is {to - from + 1}");
        return (camera, from, to);
    }

    // A parsed request holds JSON numbers; one built in code may hold an int.
    private static long? Seq(JsonObject request, string field) => request[field] switch
    {
        JsonValue v when v.TryGetValue(out long seq) => seq,
        JsonValue v when v.TryGetValue(out int seq) => seq,
        _ => null,
    };
}
