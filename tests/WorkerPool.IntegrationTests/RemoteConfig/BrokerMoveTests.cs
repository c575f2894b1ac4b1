using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using WorkerPool.Contracts;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.RemoteConfig;

/// <summary>
/// A signed remote <c>mqtt</c> change against two real Mosquitto brokers and the real service: a move to a wrong
/// address is tried, refused and leaves the device where it was; a move to a working broker switches the session
/// there and survives a restart.
/// </summary>
public sealed class BrokerMoveTests : IDisposable
{
    private const int SigTerm = 15;
    private const string Root = "workerpool/demo-01";
    private readonly TempDir _dir = new();
    private readonly MosquittoBroker _old = new();
    private readonly MosquittoBroker _new = new();
    private readonly ECDsa _fleetKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    private string Config() => ConfigFiles.DeriveServiceConfig(_dir, "move.json", _old.Port, c =>
    {
        c["mqtt"]!["heartbeatSeconds"] = 1;
        c["mqtt"]!["switchTimeoutSeconds"] = 10;
        c["security"] = new JsonObject { ["fleetPublicKey"] = _fleetKey.ExportSubjectPublicKeyInfoPem() };
    });

    private string Signed(long version, string patch)
    {
        using var doc = JsonDocument.Parse(patch);
        return new JsonObject
        {
            ["version"] = version,
            ["config"] = JsonNode.Parse(patch),
            ["signature"] = FleetSignature.Sign(_fleetKey, FleetSignature.ConfigBytes("demo-01", version, doc.RootElement)),
        }.ToJsonString();
    }

    private static Func<Received[], bool> Has(string suffix, Func<JsonElement, bool>? match = null) =>
        m => m.Any(x => x.Topic == $"{Root}/{suffix}" && (match is null || match(x.Json)));

    private static Func<JsonElement, bool> Version(long v) => j => j.GetProperty("version").GetInt64() == v;

    [Fact]
    public async Task BrokerMove_ToAClosedPortIsRejectedAndTheDeviceStaysOnTheOldBrokerAMoveToAWorkingBrokerSwitchesAndSurvivesARestart()
    {
        _old.Start();
        _new.Start();
        string config = Config();
        await using var oldSide = new MqttProbe();
        await oldSide.ConnectAsync(_old.Port, $"{Root}/#");
        await using var newSide = new MqttProbe();
        await newSide.ConnectAsync(_new.Port, $"{Root}/#");
        int closedPort = RtspServer.FreePort();

        await using (var host = HostProcess.Start("run", "--config", config))
        {
            await host.WaitForStderrAsync("MQTT connected", TimeSpan.FromSeconds(90));
            await host.WaitForStderrAsync("Stored count record vtest", TimeSpan.FromSeconds(30));

            // (a) A mistyped broker: the test connection fails, nothing changes.
            await oldSide.PublishAsync($"{Root}/config/desired", Signed(1, $"{{\"mqtt\": {{\"port\": {closedPort}}}}}"), retain: true);
            var rejected = (await oldSide.WaitForAsync(Has("config/reported", Version(1)), TimeSpan.FromSeconds(60), "reported v1"))
                .Last(x => x.Topic == $"{Root}/config/reported").Json;
            Assert.Equal("rejected", rejected.GetProperty("status").GetString());
            var error = rejected.GetProperty("errors")[0];
            Assert.Equal("config.mqtt", error.GetProperty("path").GetString());
            Assert.Contains("refused", error.GetProperty("message").GetString(), StringComparison.OrdinalIgnoreCase);
            Assert.Empty(SchemaCheck.Validate("config-reported.schema.json", rejected));
            Assert.DoesNotContain(closedPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                File.Exists(_dir.File("remote-config.json")) ? File.ReadAllText(_dir.File("remote-config.json")) : "", StringComparison.Ordinal);

            // Still reachable on the old broker: it heartbeats there and answers a command.
            int beats = oldSide.Messages.Count(x => x.Topic == $"{Root}/heartbeat");
            await oldSide.WaitForAsync(m => m.Count(x => x.Topic == $"{Root}/heartbeat") > beats + 1, TimeSpan.FromSeconds(30), "heartbeats on the old broker");
            var ping = await Fleet.FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "cmd", "--device", "demo-01", "--broker", $"127.0.0.1:{_old.Port}",
                "--timeout", "60", "--name", "ping", "--signing-key", WritePrivateKey());
            Assert.True(ping.Code == 0, string.Join("\n", ping.Stdout.Concat(ping.Stderr)));
            Assert.Contains("\"pong\":true", ping.Stdout[^1], StringComparison.Ordinal);

            // (b) A move to the second broker: status, heartbeats, counts and the retained report arrive there.
            await oldSide.PublishAsync($"{Root}/config/desired", Signed(2, $"{{\"mqtt\": {{\"port\": {_new.Port}}}}}"), retain: true);
            await newSide.WaitForAsync(Has("status", j => j.GetProperty("state").GetString() == "online"), TimeSpan.FromSeconds(60), "online on the new broker");
            await newSide.WaitForAsync(Has("heartbeat"), TimeSpan.FromSeconds(30), "a heartbeat on the new broker");
            await newSide.WaitForAsync(Has("counts/vtest"), TimeSpan.FromSeconds(30), "counts on the new broker");
            Received[] moved;
            try { moved = await newSide.WaitForAsync(Has("config/reported", Version(2)), TimeSpan.FromSeconds(30), "reported v2 on the new broker"); }
            catch (TimeoutException ex) { throw new TimeoutException(ex.Message + "\n" + string.Join("\n", host.Stderr.Where(l => !l.Contains("[4004]", StringComparison.Ordinal) && !l.Contains("[5006]", StringComparison.Ordinal)).TakeLast(40)), ex); }
            var applied = moved.Last(x => x.Topic == $"{Root}/config/reported").Json;
            Assert.Equal("applied", applied.GetProperty("status").GetString());
            Assert.Contains(_new.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(_dir.File("remote-config.json")), StringComparison.Ordinal);
            // The old broker was told the device left it (a clean offline, not a lost session).
            await oldSide.WaitForAsync(Has("status", j => j.GetProperty("state").GetString() == "offline"), TimeSpan.FromSeconds(30), "offline on the old broker");

            host.Signal(SigTerm);
            Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        }

        // After a restart the device connects to the new broker again.
        int before = newSide.Messages.Count(x => x.Topic == $"{Root}/heartbeat");
        await using var again = HostProcess.Start("run", "--config", config);
        var beat = (await newSide.WaitForAsync(m => m.Count(x => x.Topic == $"{Root}/heartbeat") > before, TimeSpan.FromSeconds(90), "heartbeat after restart"))
            .Last(x => x.Topic == $"{Root}/heartbeat").Json;
        Assert.StartsWith("2:", beat.GetProperty("configVersion").GetString(), StringComparison.Ordinal);
        again.Signal(SigTerm);
        Assert.Equal(0, await again.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    private string WritePrivateKey()
    {
        string path = _dir.File("fleet-private.pem");
        File.WriteAllText(path, _fleetKey.ExportPkcs8PrivateKeyPem());
        return path;
    }

    public void Dispose()
    {
        _fleetKey.Dispose();
        _old.Dispose();
        _new.Dispose();
        _dir.Dispose();
    }
}
