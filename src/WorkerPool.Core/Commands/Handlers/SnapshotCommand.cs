using System.Text.Json.Nodes;
using WorkerPool.Control;

namespace WorkerPool.Commands.Handlers;

/// <summary><c>snapshot</c>: the camera's next frame with its lines, zones and tracks drawn, as a base64 JPEG.</summary>
public sealed class SnapshotCommand(IDeviceControl control) : ICommandHandler
{
    /// <summary>Largest snapshot JPEG sent (quality, then size, is lowered to fit).</summary>
    public const int MaxSnapshotBytes = 192 * 1024;

    private static readonly TimeSpan FrameTimeout = TimeSpan.FromSeconds(5);

    /// <inheritdoc />
    public string Name => "snapshot";

    /// <inheritdoc />
    public async Task<JsonNode?> RunAsync(JsonObject request)
    {
        string camera = CommandException.RequiredString(request, "camera", Name);
        // Told apart here so that an operator placing lines learns a typo from a camera that is down.
        var options = control.Config.Cameras.FirstOrDefault(c => c.Id == camera);
        if (options is null)
        {
            string ids = control.Config.Cameras.Count == 0 ? "none" : string.Join(", ", control.Config.Cameras.Select(c => c.Id));
            throw new CommandException($"no camera '{camera}' (this device has: {ids})");
        }
        if (!options.Enabled) throw new CommandException($"camera '{camera}' is disabled");
        var picture = await control.SnapshotAsync(camera, MaxSnapshotBytes, FrameTimeout).ConfigureAwait(false)
            ?? throw new CommandException($"no frame from camera '{camera}' within {FrameTimeout.TotalSeconds:0} s (not delivering)");
        return new JsonObject
        {
            ["camera"] = camera, ["contentType"] = "image/jpeg", ["width"] = picture.Width, ["height"] = picture.Height,
            ["jpeg"] = Convert.ToBase64String(picture.Jpeg),
        };
    }
}
