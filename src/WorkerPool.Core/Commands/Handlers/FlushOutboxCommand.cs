using System.Text.Json.Nodes;
using WorkerPool.Messaging;
using WorkerPool.Outbox;

namespace WorkerPool.Commands.Handlers;

/// <summary><c>flush-outbox</c>: publishes the backlog now, for up to 10 s, and says what is left.</summary>
public sealed class FlushOutboxCommand(OutboxPublisher publisher, CountOutbox outbox, TimeProvider time) : ICommandHandler
{
    /// <inheritdoc />
    public string Name => "flush-outbox";

    /// <inheritdoc />
    public async Task<JsonNode?> RunAsync(JsonObject request)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10), time);
        int published = await publisher.DrainWhileConnectedAsync(deadline.Token).ConfigureAwait(false);
        return new JsonObject { ["published"] = published, ["backlog"] = outbox.Stats().Backlog };
    }
}
