using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Service;

public class ShippedConfigTests
{
    [Fact]
    public void DemoConfig_IsValidIncludingItsModel() =>
        Assert.Empty(DeviceConfigValidator.Validate(ConfigLoader.Load(Repo.DemoConfig)));

    [Fact]
    public void JetsonExample_ParsesAndOnlyTheBoardsCoresAndFilesCanBeMissingHere()
    {
        var config = ConfigLoader.Load(Repo.Path("device-config", "example-jetson.json"));
        var errors = DeviceConfigValidator.Validate(config, checkModel: false);
        Assert.All(errors, e => Assert.True(e.Message.Contains("not available on this machine", StringComparison.Ordinal)
            || (e.Message.Contains("/etc/workerpool/", StringComparison.Ordinal) && e.Message.Contains("does not exist", StringComparison.Ordinal)), e.ToString()));
        Assert.True(config.Mqtt.Tls.Enabled);
        Assert.Equal(["cuda:0", "cpu"], config.Pool.Workers.Select(w => w.Device));
        Assert.All(config.Cameras, c => Assert.StartsWith("rtsp://", c.Url, StringComparison.Ordinal));
    }

    [Fact]
    public void ApplianceConfig_OnlyWantsItsDeviceIdSet()
    {
        var config = ConfigLoader.Load(Repo.Path("device-config", "appliance.json"));
        var error = Assert.Single(DeviceConfigValidator.Validate(config, checkModel: false));
        Assert.Equal("deviceId", error.Path);
        Assert.Contains("placeholder", error.Message, StringComparison.Ordinal);
        Assert.Equal("/var/lib/workerpool", config.DataDirectory);
    }
}
