using System.Text.Json.Nodes;
using WorkerPool.Control;

namespace WorkerPool.Commands.Handlers;

/// <summary><c>snapshot</c>: the camera's next frame with its lines, zones and tracks drawn, as a base64 JPEG.</summary>
public sealed class SnapshotCommand(IDeviceControl control) : ICommandHandler
{
    /// <summary>Largest snapshot JPEG sent (quality, then size, is lowered to fit).</summary>
    public const int MaxSnapshotBytes = 192 * 1024;

    /// <inheritdoc />
    public string Name => "snapshot";

    /// <inheritdoc />
    public async Task<JsonNode?> RunAsync(JsonObject request)
    {
        string camera = CommandException.RequiredString(request, "camera", Name);
        var picture = await control.SnapshotAsync(camera, MaxSnapshotBytes, TimeSpan.FromSeconds(5)).ConfigureAwait(false)
            ?? throw new CommandException($"no frame from camera '{camera}' (unknown, or not delivering)");
        return new JsonObject
        {
            ["camera"] = camera, ["contentType"] = "image/jpeg", ["width"] = picture.Width, ["height"] = picture.Height,
            ["jpeg"] = Convert.ToBase64String(picture.Jpeg),
        };
    }
}
