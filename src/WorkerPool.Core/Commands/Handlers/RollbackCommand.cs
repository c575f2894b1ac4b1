using System.Text.Json.Nodes;
using WorkerPool.Software;

namespace WorkerPool.Commands.Handlers;

/// <summary>
/// <c>rollback</c>: asks the root helper to switch back to the release that ran before the current one
/// (update.sh --rollback, with its health wait). The answer says it was handed over; the outcome follows on the
/// retained <c>software</c> topic (<c>rolled-back</c>, or <c>failed</c> with the reason).
/// </summary>
public sealed class RollbackCommand(SoftwareUpdateService updates) : ICommandHandler
{
    /// <inheritdoc />
    public string Name => "rollback";

    /// <inheritdoc />
    public async Task<JsonNode?> RunAsync(JsonObject request) =>
        await updates.RequestAsync(UpdateAction.Rollback).ConfigureAwait(false) is { } refusal
            ? throw new CommandException(refusal)
            : new JsonObject { ["requested"] = "rollback", ["follow"] = "the software topic" };
}
