using System.Text.Json.Nodes;
using WorkerPool.Software;

namespace WorkerPool.Commands.Handlers;

/// <summary>
/// <c>decommission</c>: asks the root helper to wipe the device's private keys and stop and disable the service, for
/// a device leaving the fleet (revoke its certificate as well: docs/FLEET.md, "Revoking a device"). It needs
/// <c>{"confirm": "{deviceId}"}</c>, so a command meant for another device cannot retire this one.
/// </summary>
public sealed class DecommissionCommand(SoftwareUpdateService updates, Config.DeviceConfig config) : ICommandHandler
{
    /// <inheritdoc />
    public string Name => "decommission";

    /// <inheritdoc />
    public async Task<JsonNode?> RunAsync(JsonObject request)
    {
        string confirm = request["confirm"] is JsonValue v && v.TryGetValue(out string? s) ? s : "";
        if (confirm != config.DeviceId) throw new CommandException($"decommission needs {{\"confirm\": \"{config.DeviceId}\"}}: the id of the device to retire");
        return await updates.RequestAsync(UpdateAction.Decommission).ConfigureAwait(false) is { } refusal
            ? throw new CommandException(refusal)
            : new JsonObject { ["requested"] = "decommission", ["follow"] = "the software topic, then the status topic (offline)" };
    }
}
