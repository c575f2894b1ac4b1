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
        // The example broker takes the certificate's CN as the user: a user name and password would be ignored.
        Assert.True(config.Mqtt.Tls.CertificateCnIsUsername);
        Assert.Null(config.Mqtt.Username);
        Assert.Null(config.Mqtt.PasswordFile);
        Assert.All(config.Cameras, c => Assert.DoesNotContain("@", c.Url, StringComparison.Ordinal));
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

    [Fact]
    public void ApplianceConfig_InstalledInEtc_KeepsItsOutboxWhereTheUnitLetsTheServiceWrite()
    {
        var config = ConfigLoader.Load(Repo.Path("device-config", "appliance.json"));
        config.BaseDirectory = "/etc/workerpool"; // where install.sh puts it
        Assert.Equal(["deviceId"], DeviceConfigValidator.Validate(config, checkModel: false).Select(e => e.Path));
    }

    [Fact]
    public void ServiceUnitRules_MatchTheShippedUnit()
    {
        var unit = File.ReadAllLines(Repo.Path("deploy-scripts", "systemd", "workerpool.service"))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .ToLookup(kv => kv[0].Trim(), kv => kv[1].Trim());
        Assert.Equal(ServiceUnit.User, Assert.Single(unit["User"]));
        Assert.Equal(ServiceUnit.SupplementaryGroups, Assert.Single(unit["SupplementaryGroups"]).Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(ServiceUnit.WritablePaths, unit["ReadWritePaths"].SelectMany(v => v.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
        Assert.Equal("/var/lib/" + Assert.Single(unit["StateDirectory"]), Assert.Single(ServiceUnit.WritablePaths));
        // The rules assume these: everything else read-only, /home hidden, /tmp private.
        Assert.Equal("strict", Assert.Single(unit["ProtectSystem"]));
        Assert.Equal("yes", Assert.Single(unit["ProtectHome"]));
        Assert.Equal("yes", Assert.Single(unit["PrivateTmp"]));
        Assert.Equal("/opt/workerpool/current/workerpool run --config /etc/workerpool/config.json", Assert.Single(unit["ExecStart"]));
    }
}
