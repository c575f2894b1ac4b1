using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using WorkerPool.IntegrationTests.Fleet;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Deploy;

/// <summary>
/// docs/FLEET.md "Rolling out a release", end to end: three devices provisioned from one template, each a real
/// service process installed by install.sh --bundle under its own root (the fake systemctl starts it; the test plays
/// systemd's path unit for the root update helper), a real Mosquitto with a TLS listener that trusts the fleet CA,
/// the ingest into PostgreSQL, the fleet's serve handing out the archives, and workerpool-fleet rollout.
/// </summary>
[Collection(DeployCollection.Name)]
public sealed class RolloutTests : IAsyncLifetime
{
    private static readonly string[] Ids = ["store-01", "store-02", "store-03"];
    private readonly TempDir _dir = new();
    private readonly FakeDevice[] _devices = [new(), new(), new()];
    private readonly TlsFiles _server = new("broker.test");
    private FleetFixture _fleet = null!;
    private HostProcess? _serve;
    private int _tlsPort;
    private int _httpPort;

    public async Task InitializeAsync()
    {
        var ca = await FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "ca", "init", "--out", _dir.File("ca"));
        Assert.True(ca.Code == 0, string.Join("\n", ca.Stderr));
        _tlsPort = RtspServer.FreePort();
        string caFile = _dir.File("ca/ca.crt");
        // The plain listener is the fleet tools' (loopback, as a fleet server's own); devices come in over TLS as their CN.
        _fleet = await FleetFixture.StartAsync(plain => $"""
            per_listener_settings true
            listener {plain} 127.0.0.1
            allow_anonymous true
            listener {_tlsPort} 127.0.0.1
            cafile {caFile}
            certfile {_server.ServerCert}
            keyfile {_server.ServerKey}
            require_certificate true
            use_identity_as_username true
            allow_anonymous false
            """);
        await _fleet.StartIngestAsync("ingest-rollout");
        Directory.CreateDirectory(_dir.File("artifacts"));
        _httpPort = RtspServer.FreePort();
        _serve = HostProcess.StartFile(FleetFixture.Script, null, ["serve", "--database", _fleet.Database.ConnectionString(), "--listen", $"127.0.0.1:{_httpPort}",
            "--no-auth", "--releases", _dir.File("artifacts")]);
        await _serve.WaitForStderrAsync("Dashboard on", TimeSpan.FromMinutes(3));
    }

    public async Task DisposeAsync()
    {
        foreach (var d in _devices) await d.DisposeAsync();
        if (_serve is not null) await _serve.DisposeAsync();
        if (_fleet is not null) await _fleet.DisposeAsync();
        _server.Dispose();
        _dir.Dispose();
    }

    /// <summary>One template, three bundles; each installed under its device's root and running 1.0.0 as a real service.</summary>
    private async Task ProvisionAndInstallAsync()
    {
        string template = ConfigFiles.DeriveServiceConfig(_dir, "template.json", _tlsPort, c =>
        {
            c["mqtt"]!["tls"] = new JsonObject { ["serverName"] = "broker.test" };
            c["mqtt"]!["heartbeatSeconds"] = 2;
            c["cameras"]![0]!["fps"] = 1; // three services on two cores: inference is not what is tested here
            c["fleet"] = new JsonObject { ["group"] = "north", ["tags"] = new JsonArray("stores") };
            c["updates"] = new JsonObject { ["enabled"] = true };
        });
        var provision = await FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "provision", "--devices", string.Join(',', Ids), "--template", template,
            "--ca", _dir.File("ca"), "--out", _dir.File("bundles"), "--broker-ca", _server.Ca,
            "--broker-port", _tlsPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(provision.Code == 0, string.Join("\n", provision.Stderr));
        using var releaseKey = ECDsa.Create();
        releaseKey.ImportFromPem(File.ReadAllText(_dir.File("ca/release-private.pem")));
        for (int i = 0; i < Ids.Length; i++)
        {
            var device = _devices[i];
            // The bundle is made for /: under this test's root, its paths move with it, and each device has its own data directory.
            string bundle = _dir.File("bundles/" + Ids[i]);
            var config = JsonNode.Parse(File.ReadAllText(Path.Combine(bundle, "config.json")))!.AsObject();
            string text = config.ToJsonString().Replace("/etc/workerpool/", device.Path("etc", "workerpool") + "/", StringComparison.Ordinal);
            config = JsonNode.Parse(text)!.AsObject();
            config["outbox"]!["path"] = device.Path("var", "lib", "workerpool", "outbox.db");
            File.WriteAllText(Path.Combine(bundle, "config.json"), config.ToJsonString());
            var (code, stderr) = await device.RunAsync("install.sh", "--bundle", bundle, "--timeout", "120", device.FakeRelease("1.0.0+aaa", "real"));
            Assert.True(code == 0, stderr + "\n" + device.ServiceLog);
            device.StartUpdateHelper(timeoutSeconds: 40);
        }
        // The ingest has every device's heartbeat, which carries its tags: the rollout selects by them.
        Assert.Equal(3, await _fleet.WaitForAsync("SELECT count(*) FROM devices WHERE heartbeat->'tags' ? 'stores'", 3, TimeSpan.FromMinutes(2)));
    }

    /// <summary>Publishes a release as publish.sh does into the served artifacts folder; returns its manifest.</summary>
    private async Task<string> PublishAsync(string version, string behaviour)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(File.ReadAllText(_dir.File("ca/release-private.pem")));
        string manifest = await _devices[0].PackReleaseAsync(_devices[0].FakeRelease(version, behaviour), "linux-x64", key);
        string dir = _dir.File("artifacts/" + version);
        Directory.CreateDirectory(dir);
        foreach (var f in Directory.GetFiles(Path.GetDirectoryName(manifest)!)) File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return Path.Combine(dir, "release.json");
    }

    private Task<(int Code, string[] Stdout, string[] Stderr)> RolloutAsync(string manifest, string version, params string[] extra) =>
        FleetFixture.RunAsync(TimeSpan.FromMinutes(8), ["rollout", "--release", manifest, "--devices", "tag:stores", "--canary", "33%",
            "--base-url", $"http://127.0.0.1:{_httpPort}/releases/{version}", "--broker", _fleet.BrokerAddress, "--database", _fleet.Database.ConnectionString(),
            "--signing-key", _dir.File("ca/fleet-private.pem"), "--wait-healthy", "150", "--id", "r-" + version.Replace('+', '-'), .. extra]);

    private string Diagnostics(params (int Code, string[] Stdout, string[] Stderr)[] runs) =>
        string.Join("\n", runs.SelectMany(r => r.Stdout.Concat(r.Stderr))) + "\n" +
        string.Join("\n", _devices.Select((d, i) => $"--- {Ids[i]}: state {d.SoftwareState}\n{d.HelperLog}\n{string.Join("\n", d.ServiceLog.Split('\n').TakeLast(15))}"));

    [Fact]
    public async Task RolloutOfAGoodRelease_SwitchesAllThreeDevices_WhichReportHealthy_AndTheReportShowsIt()
    {
        await ProvisionAndInstallAsync();
        string manifest = await PublishAsync("1.1.0+bbb", "real");

        var run = await RolloutAsync(manifest, "1.1.0+bbb");

        Assert.True(run.Code == 0, Diagnostics(run));
        Assert.Contains(run.Stdout, l => l.EndsWith("wave canary: store-01", StringComparison.Ordinal));
        Assert.Contains(run.Stdout, l => l.Contains("completed: every device healthy", StringComparison.Ordinal));
        foreach (var device in _devices)
        {
            Assert.Equal("1.1.0+bbb", device.CurrentVersion);
            Assert.Contains("\"state\":\"healthy\"", device.SoftwareState, StringComparison.Ordinal);
        }
        var report = await _fleet.ReportAsync();
        var rollout = report.GetProperty("rollouts")[0];
        Assert.Equal(("r-1.1.0-bbb", "completed"), (rollout.GetProperty("id").GetString(), rollout.GetProperty("state").GetString()));
        Assert.All(rollout.GetProperty("devices").EnumerateArray(), d => Assert.Equal("healthy", d.GetProperty("state").GetString()));
        // serve --releases answers range requests, so a device's interrupted download resumes.
        using var http = new HttpClient();
        using var range = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{_httpPort}/releases/1.1.0+bbb/workerpool-1.1.0+bbb-linux-x64.tar.gz"));
        range.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(100, null);
        using var partial = await http.SendAsync(range);
        Assert.Equal(System.Net.HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(new FileInfo(Path.Combine(Path.GetDirectoryName(manifest)!, "workerpool-1.1.0+bbb-linux-x64.tar.gz")).Length - 100, (await partial.Content.ReadAsByteArrayAsync()).Length);
        // The dashboard's API shows the same.
        using var doc = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{_httpPort}/api/rollouts")));
        Assert.Equal("completed", doc.RootElement[0].GetProperty("state").GetString());
    }

    [Fact]
    public async Task RolloutOfAReleaseThatNeverTurnsHealthy_RollsTheCanaryBack_Halts_AndTheOthersNeverDownloadIt()
    {
        await ProvisionAndInstallAsync();
        string manifest = await PublishAsync("1.2.0+ccc", "crash");

        var run = await RolloutAsync(manifest, "1.2.0+ccc");

        Assert.True(run.Code == 1, Diagnostics(run));
        Assert.Contains(run.Stdout, l => l.Contains("HALTED after the canary wave", StringComparison.Ordinal));
        // The canary tried it, went back to 1.0.0 by itself and said why.
        Assert.Equal("1.0.0+aaa", _devices[0].CurrentVersion);
        Assert.Contains("\"state\":\"rolled-back\"", _devices[0].SoftwareState, StringComparison.Ordinal);
        Assert.Contains("did not report healthy", _devices[0].SoftwareState, StringComparison.Ordinal);
        // The other two never got it: no request, no download, no state, the release they had.
        foreach (var device in _devices[1..])
        {
            Assert.False(device.HelperRan, device.HelperLog);
            Assert.Null(device.SoftwareState);
            Assert.Equal(["1.0.0+aaa"], device.Releases);
            Assert.False(Directory.Exists(device.Path("opt", "workerpool", ".download")));
        }
        var report = await _fleet.ReportAsync();
        var rollout = report.GetProperty("rollouts")[0];
        Assert.Equal("halted", rollout.GetProperty("state").GetString());
        var states = rollout.GetProperty("devices").EnumerateArray().ToDictionary(d => d.GetProperty("device").GetString()!, d => d.GetProperty("state").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["store-01"] = "rolled-back", ["store-02"] = "pending", ["store-03"] = "pending" }, states);
    }
}
