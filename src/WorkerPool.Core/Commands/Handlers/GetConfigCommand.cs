using System.Text.Json;
using System.Text.Json.Nodes;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Control;

namespace WorkerPool.Commands.Handlers;

/// <summary>
/// <c>get-config</c>: the config in effect. It holds no secrets: passwords and keys are file paths or environment
/// variable names (<c>mqtt.passwordFile</c>, <c>cameras[].passwordFile</c>, …), and a camera URL with a password in
/// it is refused by the validator; should one get through all the same, its password is masked here.
/// </summary>
public sealed class GetConfigCommand(IDeviceControl control) : ICommandHandler
{
    /// <inheritdoc />
    public string Name => "get-config";

    /// <inheritdoc />
    public Task<JsonNode?> RunAsync(JsonObject request)
    {
        var node = JsonSerializer.SerializeToNode(control.Config, ConfigJsonContext.Default.DeviceConfig);
        if (node?["cameras"] is JsonArray cameras)
            foreach (var camera in cameras) Mask(camera, "url");
        Mask(node?["mqtt"], "host");
        return Task.FromResult(node);
    }

    private static void Mask(JsonNode? parent, string field)
    {
        if (parent?[field] is JsonValue value && value.TryGetValue(out string? text)) parent[field] = UrlUserInfo.Redact(text);
    }
}
