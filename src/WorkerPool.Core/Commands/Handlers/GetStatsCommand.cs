using System.Text.Json;
using System.Text.Json.Nodes;
using WorkerPool.Contracts;
using WorkerPool.Messaging;

namespace WorkerPool.Commands.Handlers;

/// <summary><c>get-stats</c>: the heartbeat, now.</summary>
public sealed class GetStatsCommand(HeartbeatAssembler heartbeat) : ICommandHandler
{
    /// <inheritdoc />
    public string Name => "get-stats";

    /// <inheritdoc />
    public Task<JsonNode?> RunAsync(JsonObject request) =>
        Task.FromResult(JsonSerializer.SerializeToNode(heartbeat.Assemble(), ContractJsonContext.Default.HeartbeatPayload));
}
