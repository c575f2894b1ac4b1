using WorkerPool.Config;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Service;

public class ShippedConfigTests
{
    [Fact]
    public void DemoConfig_IsValidIncludingItsModel() =>
        Assert.Empty(DeviceConfigValidator.Validate(ConfigLoader.Load(Repo.DemoConfig)));

    [Fact]
    public void JetsonExample_ParsesAndOnlyCoresThisMachineLacksCanBeWrong()
    {
        var config = ConfigLoader.Load(Repo.Path("device-config", "example-jetson.json"));
        var errors = DeviceConfigValidator.Validate(config, checkModel: false);
        Assert.All(errors, e => Assert.Contains("not available on this machine", e.Message, StringComparison.Ordinal));
        Assert.Equal(["cuda:0", "cpu"], config.Pool.Workers.Select(w => w.Device));
        Assert.All(config.Cameras, c => Assert.StartsWith("rtsp://", c.Url, StringComparison.Ordinal));
    }
}
