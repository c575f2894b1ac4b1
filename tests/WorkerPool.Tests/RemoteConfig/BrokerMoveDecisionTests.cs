using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Contracts;
using WorkerPool.Messaging;
using WorkerPool.RemoteConfig;

namespace WorkerPool.Tests.RemoteConfig;

/// <summary>What a remote <c>mqtt</c> change does: signed only, tried first, persisted only when it held.</summary>
public sealed class BrokerMoveDecisionTests : IDisposable
{
    private const string FileConfig = """
        {
          "deviceId": "dev-1",
          "pool": { "workers": [ { "device": "cpu", "cores": [0] } ] },
          "cameras": [ { "id": "cam1", "url": "video.avi" } ],
          "mqtt": { "host": "old.example", "port": 1883, "switchTimeoutSeconds": 7 }
        }
        """;

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "move-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly ECDsa _fleet = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly List<DeviceConfig> _applied = [];

    private string State => Path.Combine(_dir, "remote-config.json");

    private DesiredConfigProcessor Processor(bool signed = true)
    {
        var file = ConfigLoader.Parse(FileConfig);
        if (signed) file.Security = new SecurityOptions { FleetPublicKey = _fleet.ExportSubjectPublicKeyInfoPem() };
        return new DesiredConfigProcessor(file, State, 256 * 1024, c => DeviceConfigValidator.Validate(c, checkModel: false));
    }

    private Task<ReportedConfig> SendAsync(DesiredConfigProcessor p, string json, IBrokerSwitch? broker) =>
        p.ProcessAsync(Encoding.UTF8.GetBytes(json), c => { _applied.Add(c); return Task.FromResult<IReadOnlyList<ConfigError>>([]); }, broker);

    private string Signed(long version, string config)
    {
        using var doc = JsonDocument.Parse(config);
        return $$"""{"version": {{version}}, "config": {{config}}, "signature": "{{FleetSignature.Sign(_fleet, FleetSignature.ConfigBytes("dev-1", version, doc.RootElement))}}"}""";
    }

    private sealed class FakeBroker(string? probe = null, string? @switch = null) : IBrokerSwitch
    {
        public List<(string Call, MqttOptions Options, TimeSpan Timeout)> Calls { get; } = [];

        public Task<string?> ProbeAsync(MqttOptions options, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Calls.Add(("probe", options, timeout));
            return Task.FromResult(probe);
        }

        public Task<string?> SwitchAsync(MqttOptions options, TimeSpan timeout, CancellationToken cancellationToken)
        {
            Calls.Add(("switch", options, timeout));
            return Task.FromResult(@switch);
        }
    }

    [Fact]
    public async Task MqttMove_TestConnectionFails_IsRejectedNamingConfigMqttAndNothingIsPersistedOrApplied()
    {
        var p = Processor();
        var broker = new FakeBroker(probe: "connection refused (nothing listens on that port)");
        var r = await SendAsync(p, Signed(1, """{"mqtt": {"host": "typo.example"}}"""), broker);
        Assert.Equal("rejected", r.Status);
        var error = Assert.Single(r.Errors);
        Assert.Equal("config.mqtt", error.Path);
        Assert.Contains("typo.example:1883", error.Message, StringComparison.Ordinal);
        Assert.Contains("connection refused", error.Message, StringComparison.Ordinal);
        Assert.Equal(["probe"], broker.Calls.Select(c => c.Call));
        Assert.Equal(TimeSpan.FromSeconds(7), broker.Calls[0].Timeout);
        Assert.Empty(_applied);
        Assert.False(File.Exists(State));
        Assert.Equal("old.example", p.Effective.Mqtt.Host);
        // The same version may be sent again, corrected: a refused move raises no floor.
        Assert.Equal(0, p.VersionFloor);
    }

    [Fact]
    public async Task MqttMove_TestConnectionSucceeds_IsPersistedThenTheSessionMovesAndARestartKeepsIt()
    {
        var p = Processor();
        var broker = new FakeBroker();
        var r = await SendAsync(p, Signed(1, """{"mqtt": {"host": "new.example", "port": 8883}}"""), broker);
        Assert.Equal("applied", r.Status);
        Assert.Equal(["probe", "switch"], broker.Calls.Select(c => c.Call));
        Assert.Equal(("new.example", 8883), (broker.Calls[1].Options.Host, broker.Calls[1].Options.Port));
        Assert.Equal("new.example", Assert.Single(_applied).Mqtt.Host);
        p.Dispose();
        using var again = Processor();
        Assert.Equal(("new.example", 8883, 1L), (again.Effective.Mqtt.Host, again.Effective.Mqtt.Port, again.AppliedVersion));
    }

    [Fact]
    public async Task MqttMove_SessionDoesNotComeUpOnTheNewSettings_RestoresTheOldConfigOnDiskAndInThePipeline()
    {
        var p = Processor();
        Assert.Equal("applied", (await SendAsync(p, Signed(1, """{"counting": {"windowSeconds": 30}}"""), new FakeBroker())).Status);
        var broker = new FakeBroker(@switch: "the session did not come up on new.example:1883 within 7 s");
        var r = await SendAsync(p, Signed(2, """{"mqtt": {"host": "new.example"}}"""), broker);
        Assert.Equal("rejected", r.Status);
        Assert.Equal("config.mqtt", Assert.Single(r.Errors).Path);
        Assert.Contains("back on old.example:1883", r.Errors[0].Message, StringComparison.Ordinal);
        Assert.Equal(["new.example", "old.example"], _applied.Skip(1).Select(c => c.Mqtt.Host));
        Assert.Equal(("old.example", 1L), (p.Effective.Mqtt.Host, p.AppliedVersion));
        Assert.Equal(2, p.VersionFloor); // the version was used: the fleet sends a new one
        p.Dispose();
        using var again = Processor();
        Assert.Equal(("old.example", 30, 1L), (again.Effective.Mqtt.Host, again.Effective.Counting.WindowSeconds, again.AppliedVersion));
    }

    [Fact]
    public async Task MqttMove_FirstChangeDoesNotHold_LeavesNoStateFile()
    {
        var p = Processor();
        var r = await SendAsync(p, Signed(1, """{"mqtt": {"port": 1884}}"""), new FakeBroker(@switch: "no session"));
        Assert.Equal("rejected", r.Status);
        Assert.False(File.Exists(State));
    }

    [Fact]
    public async Task MqttMove_OnADeviceWithoutAFleetKey_IsRefusedUntried()
    {
        var p = Processor(signed: false);
        var broker = new FakeBroker();
        var r = await SendAsync(p, """{"version": 1, "config": {"mqtt": {"host": "evil.example"}}}""", broker);
        Assert.Equal("rejected", r.Status);
        Assert.Equal("config.mqtt", Assert.Single(r.Errors).Path);
        Assert.Contains("fleet key", r.Errors[0].Message, StringComparison.Ordinal);
        Assert.Empty(broker.Calls);
    }

    [Fact]
    public async Task MqttTopicPrefix_CannotBeChangedRemotely()
    {
        var p = Processor();
        var broker = new FakeBroker();
        var r = await SendAsync(p, Signed(1, """{"mqtt": {"topicPrefix": "elsewhere"}}"""), broker);
        Assert.Equal("config.mqtt.topicPrefix", Assert.Single(r.Errors).Path);
        Assert.Empty(broker.Calls);
    }

    [Fact]
    public async Task MqttTopicPrefix_SentUnchangedBesideAMove_IsNoRefusal()
    {
        var broker = new FakeBroker();
        var r = await SendAsync(Processor(), Signed(1, """{"mqtt": {"topicPrefix": "workerpool", "host": "new.example"}}"""), broker);
        Assert.Equal("applied", r.Status);
        Assert.Equal(["probe", "switch"], broker.Calls.Select(c => c.Call));
    }

    [Fact]
    public async Task MqttMove_WithoutASessionToMove_IsRefused()
    {
        var r = await SendAsync(Processor(), Signed(1, """{"mqtt": {"host": "new.example"}}"""), broker: null);
        Assert.Equal("config.mqtt", Assert.Single(r.Errors).Path);
    }

    [Fact]
    public async Task OtherChanges_DoNotTouchTheBrokerConnection()
    {
        var broker = new FakeBroker();
        Assert.Equal("applied", (await SendAsync(Processor(), Signed(1, """{"counting": {"windowSeconds": 30}}"""), broker)).Status);
        Assert.Empty(broker.Calls);
    }

    [Fact]
    public void SwitchTimeout_OutOfRange_IsAConfigError()
    {
        var config = ConfigLoader.Parse(FileConfig);
        config.Mqtt.SwitchTimeoutSeconds = 0;
        Assert.Contains(DeviceConfigValidator.Validate(config, checkModel: false), e => e.Path == "mqtt.switchTimeoutSeconds");
    }

    public void Dispose()
    {
        _fleet.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
