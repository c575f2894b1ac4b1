using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Contracts;

namespace WorkerPool.Tests.Config;

/// <summary>What the service writes goes where the systemd unit lets it write (ProtectSystem=strict, ReadWritePaths=/var/lib/workerpool).</summary>
public class ServicePathTests
{
    private static DeviceConfig Config(string configFolder, Action<DeviceConfig>? edit = null)
    {
        var config = new DeviceConfig { DeviceId = "dev-1", BaseDirectory = configFolder, Cameras = [new CameraOptions { Id = "c", Url = "/dev/video0" }] };
        edit?.Invoke(config);
        return config;
    }

    private static List<ConfigError> Errors(DeviceConfig config) => DeviceConfigValidator.Validate(config, checkModel: false);

    [Fact]
    public void InstalledConfigWithoutOutboxPath_IsRefusedNamingVarLibWorkerpool()
    {
        var error = Assert.Single(Errors(Config("/etc/workerpool")));
        Assert.Equal("outbox.path", error.Path);
        Assert.Contains("is not set, so it defaults to data/outbox.db beside the config: '/etc/workerpool/data/outbox.db' is under /etc", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("set outbox.path to /var/lib/workerpool/outbox.db", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InstalledConfigWithTheOutboxInVarLibWorkerpool_IsAccepted() =>
        Assert.Empty(Errors(Config("/etc/workerpool", c => c.Outbox.Path = "/var/lib/workerpool/outbox.db")));

    [Fact]
    public void InstalledConfigWithTheOutboxElsewhere_IsRefusedAsOutsideTheWritablePaths()
    {
        var error = Assert.Single(Errors(Config("/etc/workerpool", c => c.Outbox.Path = "/srv/counts/outbox.db")));
        Assert.Contains("'/srv/counts/outbox.db' is outside /var/lib/workerpool, the one place the installed service may write", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/usr/local/share/outbox.db", "/usr")]
    [InlineData("/etc/workerpool/outbox.db", "/etc")]
    [InlineData("/var/lib/workerpool/../../../etc/outbox.db", "/etc")]
    [InlineData("/opt/workerpool/current/outbox.db", "/opt/workerpool")]
    public void OutboxUnderAReadOnlyFolder_IsRefusedEvenInACheckout(string outbox, string root)
    {
        var error = Assert.Single(Errors(Config("/home/dev/workerpool/device-config", c => c.Outbox.Path = outbox)));
        Assert.Equal("outbox.path", error.Path);
        Assert.Contains($"is under {root}, which the service cannot write", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckoutConfigWithTheDefaultOrARelativeOutbox_IsAccepted()
    {
        Assert.Empty(Errors(Config("/home/dev/workerpool/device-config")));
        Assert.Empty(Errors(Config("/home/dev/workerpool/device-config", c => c.Outbox.Path = "../.data/demo/outbox.db")));
    }

    [Fact]
    public void HealthFileOrEngineCacheUnderEtc_AreRefused()
    {
        var errors = Errors(Config("/etc/workerpool", c =>
        {
            c.Outbox.Path = "/var/lib/workerpool/outbox.db";
            c.Health.File = "/etc/workerpool/health.json";
            c.Model.EngineCachePath = "engines";
        }));
        Assert.Equal(["health.file", "model.engineCachePath"], errors.Select(e => e.Path));
    }

    [Theory]
    [InlineData("/home/pi/device.key", "ProtectHome=yes")]
    [InlineData("/root/device.key", "ProtectHome=yes")]
    [InlineData("/tmp/device.key", "PrivateTmp=yes")]
    [InlineData("/etc/workerpool/device.key", null)]
    public void HiddenProblem_NamesTheUnitSettingThatHidesTheFile(string path, string? setting)
    {
        string? problem = ServiceUnit.HiddenProblem(path);
        if (setting is null) Assert.Null(problem);
        else Assert.Contains(setting, problem, StringComparison.Ordinal);
    }
}
