using System.Text.Json.Nodes;

namespace WorkerPool.Commands.Handlers;

/// <summary><c>ping</c>: answers with the device's time.</summary>
public sealed class PingCommand(TimeProvider time) : ICommandHandler
{
    /// <inheritdoc />
    public string Name => "ping";

    /// <inheritdoc />
    public Task<JsonNode?> RunAsync(JsonObject request) => Task.FromResult<JsonNode?>(new JsonObject { ["pong"] = true, ["time"] = time.GetUtcNow() });
}
