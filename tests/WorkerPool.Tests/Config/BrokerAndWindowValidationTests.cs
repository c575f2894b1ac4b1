using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Contracts;

namespace WorkerPool.Tests.Config;

/// <summary>Count windows that tile hours, a bare broker host name, and TLS settings that agree with each other.</summary>
public class BrokerAndWindowValidationTests
{
    private static DeviceConfig Config(Action<DeviceConfig>? edit = null)
    {
        var config = new DeviceConfig { DeviceId = "dev-1", Cameras = [new CameraOptions { Id = "c", Url = "video.avi" }] };
        edit?.Invoke(config);
        return config;
    }

    private static List<ConfigError> Errors(DeviceConfig config) => DeviceConfigValidator.Validate(config, checkModel: false);

    private static ConfigError OneError(DeviceConfig config) => Assert.Single(Errors(config));

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(15)]
    [InlineData(30)]
    [InlineData(60)]
    [InlineData(120)]
    [InlineData(900)]
    [InlineData(3600)]
    [InlineData(7200)]
    [InlineData(86400)]
    public void WindowThatTilesMinutesHoursAndDays_IsAccepted(int seconds) =>
        Assert.Empty(Errors(Config(c => c.Counting.WindowSeconds = seconds)));

    [Theory]
    [InlineData(7, "6 or 10")]
    [InlineData(45, "30 or 60")]
    [InlineData(25, "20 or 30")]
    [InlineData(90, "60 or 120")]
    [InlineData(5000, "3600 or 7200")]
    public void WindowThatStraddlesMinutesOrHours_IsRefusedNamingTheNearestAndTheOverride(int seconds, string nearest)
    {
        var error = OneError(Config(c => c.Counting.WindowSeconds = seconds));
        Assert.Equal("counting.windowSeconds", error.Path);
        Assert.Contains($"{seconds} s windows do not tile minutes, hours and days", error.Message, StringComparison.Ordinal);
        Assert.Contains($"(nearest: {nearest}), or set counting.allowUnalignedWindows: true", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnalignedWindowWithTheOverride_IsAccepted() =>
        Assert.Empty(Errors(Config(c => { c.Counting.WindowSeconds = 45; c.Counting.AllowUnalignedWindows = true; })));

    [Fact]
    public void UnalignedWindowOverride_StillRefusesOutOfRange() =>
        Assert.Contains("between 1 and 86400", OneError(Config(c => { c.Counting.WindowSeconds = 0; c.Counting.AllowUnalignedWindows = true; })).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("mqtts://broker.example.com", "mqtts://", "\"broker.example.com\"", "set mqtt.tls.enabled: true and mqtt.port to the broker's TLS port (usually 8883)")]
    [InlineData("mqtt://broker.example.com:1884", "mqtt://", "\"broker.example.com\"", "set mqtt.port: 1884")]
    [InlineData("tcp://10.0.0.5", "tcp://", "\"10.0.0.5\"", "set mqtt.port (usually 1883)")]
    [InlineData("ssl://broker:8883/", "ssl://", "\"broker\"", "set mqtt.tls.enabled: true and mqtt.port: 8883")]
    [InlineData("ws://broker/mqtt", "ws://", "\"broker\"", "MQTT over WebSockets is not supported")]
    public void HostWithAScheme_IsRefusedAskingForTheBareNameAndThePortAndTlsFields(string host, string scheme, string bare, string advice)
    {
        var error = OneError(Config(c => c.Mqtt.Host = host));
        Assert.Equal("mqtt.host", error.Path);
        Assert.Contains($"has a scheme ({scheme})", error.Message, StringComparison.Ordinal);
        Assert.Contains($"put the bare host name here ({bare})", error.Message, StringComparison.Ordinal);
        Assert.Contains(advice, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HostUrlWithAPassword_DoesNotEchoThePassword()
    {
        var error = OneError(Config(c => c.Mqtt.Host = "mqtt://dev:hunter2@broker"));
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.Contains("mqtt://dev:***@broker", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HostWithAPort_IsRefusedAskingForMqttPort() =>
        Assert.Contains("has a port: put the bare host name here (\"broker\") and the port in mqtt.port",
            OneError(Config(c => c.Mqtt.Host = "broker:8883")).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("broker.example.com")]
    [InlineData("10.0.0.5")]
    [InlineData("::1")]
    [InlineData("fe80::1")]
    public void BareHostOrAddress_IsAccepted(string host) => Assert.Empty(Errors(Config(c => c.Mqtt.Host = host)));

    [Fact]
    public void TlsOffWithCertificateFilesSet_IsRefusedAsContradictory()
    {
        var error = OneError(Config(c => c.Mqtt.Tls = new MqttTlsOptions { Enabled = false, CaFile = "/x/ca.crt", CertFile = "/x/d.crt", KeyFile = "/x/d.key" }));
        Assert.Equal("mqtt.tls.enabled", error.Path);
        Assert.Contains("is false, but mqtt.tls.caFile, mqtt.tls.certFile, mqtt.tls.keyFile are set: the device would connect without TLS", error.Message, StringComparison.Ordinal);
        Assert.Contains("Set mqtt.tls.enabled: true (and mqtt.port to the broker's TLS port, usually 8883), or remove them", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TlsOffWithServerNameSet_IsRefused() =>
        Assert.Contains("mqtt.tls.serverName is set", OneError(Config(c => c.Mqtt.Tls.ServerName = "broker")).Message, StringComparison.Ordinal);

    [Fact]
    public void TlsOffAndMqttDisabled_IgnoresTheTlsFields() =>
        Assert.Empty(Errors(Config(c => { c.Mqtt.Enabled = false; c.Mqtt.Tls.CaFile = "/x/ca.crt"; })));

    [Fact]
    public void ClientKeyWithoutCertificate_IsRefusedOnTheCertificate()
    {
        var errors = Errors(Config(c => c.Mqtt.Tls = new MqttTlsOptions { Enabled = true, KeyFile = "/nonexistent/d.key" }));
        Assert.Contains(errors, e => e.Path == "mqtt.tls.certFile" && e.Message.StartsWith("is required with mqtt.tls.keyFile", StringComparison.Ordinal));
    }

    [Fact]
    public void ClientCertificateWithoutKey_IsRefusedOnTheKey()
    {
        var errors = Errors(Config(c => c.Mqtt.Tls = new MqttTlsOptions { Enabled = true, CertFile = "/nonexistent/d.crt" }));
        Assert.Contains(errors, e => e.Path == "mqtt.tls.keyFile" && e.Message.StartsWith("is required with mqtt.tls.certFile", StringComparison.Ordinal));
    }

    [Fact]
    public void MissingCaFile_SaysWhereToGetOne()
    {
        var error = OneError(Config(c => c.Mqtt.Tls = new MqttTlsOptions { Enabled = true, CaFile = "/etc/workerpool/ca.crt" }));
        Assert.Equal(("mqtt.tls.caFile", "'/etc/workerpool/ca.crt' does not exist: copy the broker's CA certificate there, or make a test CA with deploy-scripts/make-certs.sh"),
            (error.Path, error.Message));
    }

    [Fact]
    public void MissingPasswordFile_SaysWhatToPutThere() =>
        Assert.Contains("does not exist: write the broker password there (first line",
            OneError(Config(c => c.Mqtt.PasswordFile = "/nonexistent/pw")).Message, StringComparison.Ordinal);
}
