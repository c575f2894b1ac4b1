using System.Text.Json.Nodes;
using WorkerPool.Messaging;
using WorkerPool.Outbox;

namespace WorkerPool.Commands.Handlers;

/// <summary><c>flush-outbox</c>: publishes the backlog now, for up to 10 s, and says what is left.</summary>
public sealed class FlushOutboxCommand(MqttConnection connection, OutboxPublisher publisher, CountOutbox outbox, TimeProvider time) : ICommandHandler
{
    /// <inheritdoc />
    public string Name => "flush-outbox";

    /// <inheritdoc />
    public async Task<JsonNode?> RunAsync(JsonObject request)
    {
        int published = 0;
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10), time))
        {
            try
            {
                int n;
                while (connection.IsConnected && (n = await publisher.DrainOnceAsync(deadline.Token).ConfigureAwait(false)) > 0) published += n;
            }
            catch (OperationCanceledException) { }
        }
        return new JsonObject { ["published"] = published, ["backlog"] = outbox.Stats().Backlog };
    }
}
