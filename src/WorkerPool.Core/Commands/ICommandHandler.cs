using System.Text.Json.Nodes;

namespace WorkerPool.Commands;

/// <summary>One remote command: its name on <c>cmd/{name}</c>, and what it does with an admitted request.</summary>
public interface ICommandHandler
{
    /// <summary>The command's name.</summary>
    string Name { get; }

    /// <summary>Runs the command; the result goes into <c>{"ok": true, "result": …}</c>. Throws <see cref="CommandException"/> to answer an error.</summary>
    Task<JsonNode?> RunAsync(JsonObject request);
}

/// <summary>
/// A command that moves the device's MQTT session (<c>install-cert</c>): it runs off MQTTnet's message path, since
/// MQTTnet's disconnect waits for the message handler that is running, and its reply goes out once the session is up again.
/// </summary>
public interface IReconnectingCommand : ICommandHandler
{
}

/// <summary>A command that cannot be carried out, with the message the operator gets.</summary>
public sealed class CommandException(string message) : Exception(message)
{
    /// <summary>Reads a required string argument, or throws naming the shape the command needs.</summary>
    public static string RequiredString(JsonObject request, string field, string command) =>
        request[field] is JsonValue v && v.TryGetValue(out string? value) ? value : throw new CommandException($"{command} needs {{\"{field}\": \"<id>\"}}");
}
