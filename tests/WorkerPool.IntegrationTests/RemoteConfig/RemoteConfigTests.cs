using System.Text.Json.Nodes;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.RemoteConfig;

/// <summary>Desired config over a real Mosquitto to the real service: applied live, refused precisely, persisted.</summary>
public sealed class RemoteConfigTests : IDisposable
{
    private const int SigTerm = 15;
    private readonly TempDir _dir = new();
    private readonly MosquittoBroker _broker = new();
    private JsonObject _camera = null!;

    private string Config() => ConfigFiles.DeriveServiceConfig(_dir, "remote.json", _broker.Port, c =>
    {
        c["mqtt"]!["heartbeatSeconds"] = 1;
        _camera = c["cameras"]![0]!.DeepClone().AsObject();
    });

    private string Desired(long version, Action<JsonObject> editCamera)
    {
        var camera = _camera.DeepClone().AsObject();
        editCamera(camera);
        return new JsonObject { ["version"] = version, ["config"] = new JsonObject { ["cameras"] = new JsonArray(camera) } }.ToJsonString();
    }

    private const string Stored = "Stored count record", Connected = "Camera vtest connected", WorkerReady = "Worker 0 ready";

    private static async Task WaitMoreStoredAsync(HostProcess host)
    {
        int stored = host.Count(Stored);
        Assert.True(await host.WaitForCountAsync(Stored, stored + 1, TimeSpan.FromSeconds(30)) > stored, "counting stopped after a config change");
    }

    [Fact]
    public async Task DesiredConfig_LineMovedIsAppliedLiveInvalidOneIsRejectedAndARestartKeepsTheApplied()
    {
        _broker.Start();
        string config = Config();
        await using var fleet = new MqttProbe();
        await fleet.ConnectAsync(_broker.Port, "workerpool/demo-01/config/reported");
        const string desired = "workerpool/demo-01/config/desired";

        await using (var host = HostProcess.Start("run", "--config", config))
        {
            await host.WaitForStderrAsync("MQTT connected", TimeSpan.FromSeconds(90));
            await host.WaitForStderrAsync("Stored count record vtest", TimeSpan.FromSeconds(30));

            await fleet.PublishAsync(desired, Desired(1, c => c["lines"]![0]!["from"] = new JsonArray(0.3, 0.0)), retain: true);
            var applied = await fleet.WaitForAsync(m => m.Any(x => x.Json.GetProperty("version").GetInt64() == 1), TimeSpan.FromSeconds(30), "reported v1");
            var r1 = applied.Last().Json;
            Assert.Equal("applied", r1.GetProperty("status").GetString());
            Assert.Equal(0, r1.GetProperty("errors").GetArrayLength());
            Assert.True(applied.Last().Retained || fleet.Messages.Count == 1);

            // The camera was not restarted, and counting goes on.
            int stored = host.Count(Stored);
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            Assert.True(host.Count(Stored) > stored);
            Assert.Equal(1, host.Count(Connected));

            await fleet.PublishAsync(desired, Desired(2, c => c["lines"]![0]!["to"] = new JsonArray(0.5, 1.5)), retain: true);
            var rejected = await fleet.WaitForAsync(m => m.Any(x => x.Json.GetProperty("version").GetInt64() == 2), TimeSpan.FromSeconds(30), "reported v2");
            var r2 = rejected.Last().Json;
            Assert.Equal("rejected", r2.GetProperty("status").GetString());
            Assert.Equal("config.cameras[0].lines[0].to", r2.GetProperty("errors")[0].GetProperty("path").GetString());
            Assert.Equal(r1.GetProperty("effectiveHash").GetString(), r2.GetProperty("effectiveHash").GetString()); // running config unchanged
            Assert.Empty(SchemaCheck.Validate("config-reported.schema.json", r1));
            Assert.Empty(SchemaCheck.Validate("config-reported.schema.json", r2));
            stored = host.Count(Stored);
            await Task.Delay(TimeSpan.FromSeconds(2.5));
            Assert.True(host.Count(Stored) > stored, "the service stopped counting after a rejected config");

            // A window-length change goes to the counter: the open window is stored, no camera or worker restarts.
            await fleet.PublishAsync(desired, """{"version": 3, "config": {"counting": {"windowSeconds": 2}}}""", retain: true);
            var r3 = (await fleet.WaitForAsync(m => m.Any(x => x.Json.GetProperty("version").GetInt64() == 3), TimeSpan.FromSeconds(60), "reported v3")).Last().Json;
            Assert.Equal("applied", r3.GetProperty("status").GetString());
            await WaitMoreStoredAsync(host);
            Assert.Equal(1, host.Count(Connected));

            // A camera source change restarts that camera only: the workers (and their models) stay.
            // (cameras is replaced as a whole list, so the moved line is sent again)
            await fleet.PublishAsync(desired, Desired(4, c => { c["fps"] = 4; c["lines"]![0]!["from"] = new JsonArray(0.3, 0.0); }), retain: true);
            var r4 = (await fleet.WaitForAsync(m => m.Any(x => x.Json.GetProperty("version").GetInt64() == 4), TimeSpan.FromSeconds(60), "reported v4")).Last().Json;
            Assert.Equal("applied", r4.GetProperty("status").GetString());
            Assert.Equal(2, await host.WaitForCountAsync(Connected, 2, TimeSpan.FromSeconds(30)));
            Assert.Equal(1, host.Count(WorkerReady));
            await WaitMoreStoredAsync(host);

            // Detection and tracker thresholds change in place: no camera, no worker restarts.
            await fleet.PublishAsync(desired, """{"version": 5, "config": {"model": {"scoreThreshold": 0.2}, "tracker": {"highThreshold": 0.6}}}""", retain: true);
            var r5 = (await fleet.WaitForAsync(m => m.Any(x => x.Json.GetProperty("version").GetInt64() == 5), TimeSpan.FromSeconds(60), "reported v5")).Last().Json;
            Assert.Equal("applied", r5.GetProperty("status").GetString());
            await WaitMoreStoredAsync(host);
            Assert.Equal(2, host.Count(Connected));
            Assert.Equal(1, host.Count(WorkerReady));

            // A pool change replaces the workers while the camera keeps running.
            await fleet.PublishAsync(desired, """{"version": 6, "config": {"pool": {"workers": [{"device": "cpu", "cores": [0]}]}}}""", retain: true);
            var r6 = (await fleet.WaitForAsync(m => m.Any(x => x.Json.GetProperty("version").GetInt64() == 6), TimeSpan.FromSeconds(60), "reported v6")).Last().Json;
            Assert.Equal("applied", r6.GetProperty("status").GetString());
            await WaitMoreStoredAsync(host);
            Assert.Equal(2, host.Count(WorkerReady));
            Assert.Equal(2, host.Count(Connected));

            host.Signal(SigTerm);
            Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }

        // After a restart the applied changes are still in effect (and the retained v6 is ignored as already applied).
        await using var heartbeats = new MqttProbe();
        await heartbeats.ConnectAsync(_broker.Port, "workerpool/demo-01/heartbeat");
        await using var again = HostProcess.Start("run", "--config", config);
        var beat = await heartbeats.WaitForAsync(m => m.Length > 0, TimeSpan.FromSeconds(90), "heartbeat after restart");
        Assert.StartsWith("6:", beat[0].Json.GetProperty("configVersion").GetString(), StringComparison.Ordinal);
        Assert.Contains("0.3", File.ReadAllText(_dir.File("remote-config.json")), StringComparison.Ordinal);
        again.Signal(SigTerm);
        Assert.Equal(0, await again.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    public void Dispose()
    {
        _broker.Dispose();
        _dir.Dispose();
    }
}
