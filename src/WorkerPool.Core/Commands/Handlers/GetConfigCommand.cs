using System.Text.Json;
using System.Text.Json.Nodes;
using WorkerPool.Config;
using WorkerPool.Control;

namespace WorkerPool.Commands.Handlers;

/// <summary><c>get-config</c>: the config in effect (it holds no secrets: keys and passwords are file paths or environment names).</summary>
public sealed class GetConfigCommand(IDeviceControl control) : ICommandHandler
{
    /// <inheritdoc />
    public string Name => "get-config";

    /// <inheritdoc />
    public Task<JsonNode?> RunAsync(JsonObject request) =>
        Task.FromResult(JsonSerializer.SerializeToNode(control.Config, ConfigJsonContext.Default.DeviceConfig));
}
