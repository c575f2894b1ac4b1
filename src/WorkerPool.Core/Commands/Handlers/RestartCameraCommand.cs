using System.Text.Json.Nodes;
using WorkerPool.Control;

namespace WorkerPool.Commands.Handlers;

/// <summary><c>restart-camera</c>: stops one camera's reader and starts a fresh one; counting and the other cameras go on.</summary>
public sealed class RestartCameraCommand(IDeviceControl control) : ICommandHandler
{
    /// <inheritdoc />
    public string Name => "restart-camera";

    /// <inheritdoc />
    public async Task<JsonNode?> RunAsync(JsonObject request)
    {
        string camera = CommandException.RequiredString(request, "camera", Name);
        return await control.RestartCameraAsync(camera).ConfigureAwait(false)
            ? new JsonObject { ["camera"] = camera, ["restarted"] = true }
            : throw new CommandException($"no camera '{camera}'");
    }
}
