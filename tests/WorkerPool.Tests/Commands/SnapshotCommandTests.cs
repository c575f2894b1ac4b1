using System.Text.Json.Nodes;
using WorkerPool.Commands;
using WorkerPool.Commands.Handlers;
using WorkerPool.Config;
using WorkerPool.Tests.Control;

namespace WorkerPool.Tests.Commands;

public class SnapshotCommandTests
{
    private static SnapshotCommand Command() => new(new FakeDeviceControl(new DeviceConfig
    {
        Cameras = [new CameraOptions { Id = "door" }, new CameraOptions { Id = "yard", Enabled = false }],
    }));

    [Fact]
    public async Task UnknownCamera_IsRefusedNamingTheCamerasTheDeviceHas()
    {
        var ex = await Assert.ThrowsAsync<CommandException>(() => Command().RunAsync(new JsonObject { ["camera"] = "dor" }));
        Assert.Equal("no camera 'dor' (this device has: door, yard)", ex.Message);
    }

    [Fact]
    public async Task DisabledCamera_IsRefusedAsDisabled()
    {
        var ex = await Assert.ThrowsAsync<CommandException>(() => Command().RunAsync(new JsonObject { ["camera"] = "yard" }));
        Assert.Equal("camera 'yard' is disabled", ex.Message);
    }
}
