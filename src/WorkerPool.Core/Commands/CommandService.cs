using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using MQTTnet;
using MQTTnet.Protocol;
using WorkerPool.Diagnostics;
using WorkerPool.Messaging;

namespace WorkerPool.Commands;

/// <summary>
/// Commands on <c>{prefix}/{deviceId}/cmd/{name}</c> with MQTT 5 request/response: the reply goes to the request's
/// response topic with its correlation data, as <c>{"ok": true, "result": …}</c> or <c>{"ok": false, "error": "…"}</c>.
/// The <see cref="CommandGate"/> admits or refuses each one; admitted ones run through the handler of their name.
/// </summary>
public sealed class CommandService : ITopicHandler
{
    private readonly MqttConnection _connection;
    private readonly CommandGate _gate;
    private readonly Dictionary<string, ICommandHandler> _handlers;
    private readonly ILogger _logger;

    /// <summary>Creates the service over its handlers (one per command name).</summary>
    public CommandService(MqttConnection connection, CommandGate gate, IEnumerable<ICommandHandler> handlers, ILoggerFactory loggers)
    {
        (_connection, _gate, _logger) = (connection, gate, loggers.CreateLogger(LogCategories.Commands));
        _handlers = handlers.ToDictionary(h => h.Name, StringComparer.Ordinal);
        Topic = connection.Topics.Commands;
    }

    /// <inheritdoc />
    public string Topic { get; }

    /// <inheritdoc />
    public async Task HandleAsync(MqttApplicationMessage message)
    {
        string name = message.Topic[(message.Topic.LastIndexOf('/') + 1)..];
        if (string.IsNullOrEmpty(message.ResponseTopic))
        {
            Log.CommandRejected(_logger, name, "no MQTT 5 response topic to answer on");
            return;
        }
        var command = new CommandMessage(name, message.Payload.ToArray(), message.ResponseTopic, (message.CorrelationData ?? []).ToArray());
        if (_handlers.TryGetValue(name, out var handler) && handler is IReconnectingCommand)
        {
            _ = Task.Run(() => AnswerAsync(command, reconnects: true), CancellationToken.None);
            return;
        }
        await AnswerAsync(command, reconnects: false).ConfigureAwait(false);
    }

    private async Task AnswerAsync(CommandMessage command, bool reconnects)
    {
        var reply = await RunAsync(command).ConfigureAwait(false);
        if (reply is null) return;
        if (reconnects)
        {
            // The session may be on its way back (a move that did not hold): wait for it, bounded, then answer.
            using var back = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            try { await _connection.WaitConnectedAsync(back.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) { } // the publish below says why
        }
        var answer = new MqttApplicationMessageBuilder()
            .WithTopic(command.ResponseTopic)
            .WithPayload(Encoding.UTF8.GetBytes(reply.ToJsonString()))
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithContentType("application/json");
        if (command.CorrelationData is { Length: > 0 } correlation) answer.WithCorrelationData(correlation);
        try { await _connection.PublishAsync(answer.Build(), CancellationToken.None).ConfigureAwait(false); }
        catch (Exception ex) when (reconnects && ex is not OperationCanceledException)
        {
            Log.MessageHandlerFailed(_logger, ex, command.Name); // off the message path: nobody else would log it
        }
    }

    /// <summary>Admits and runs one command; the reply body, or null when a refusal over its budget gets no answer.</summary>
    public async Task<JsonObject?> RunAsync(CommandMessage message)
    {
        var admission = _gate.Check(message);
        JsonObject reply;
        if (!admission.Admitted)
        {
            if (!admission.Answer) return null;
            reply = Error(admission.Error!);
        }
        else
        {
            try { reply = Ok(await _handlers[message.Name].RunAsync(admission.Request!).ConfigureAwait(false)); }
            catch (CommandException ex) { reply = Error(ex.Message); }
            catch (Exception ex) when (ex is not OperationCanceledException) { reply = Error($"command failed: {ex.Message}"); }
        }
        if (reply["ok"]?.GetValue<bool>() != true) Log.CommandRejected(_logger, message.Name, reply["error"]?.GetValue<string>() ?? "");
        return reply;
    }

    private static JsonObject Ok(JsonNode? result) => new() { ["ok"] = true, ["result"] = result };

    private static JsonObject Error(string message) => new() { ["ok"] = false, ["error"] = message };
}
