using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using WorkerPool.IntegrationTests.Fleet;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Deploy;

/// <summary>
/// <c>workerpool-fleet ca init</c> and <c>provision</c>, then <c>install.sh --bundle</c> into a temporary root; and a
/// real device with a provisioned bundle connecting to a real Mosquitto that authenticates devices by the fleet CA.
/// </summary>
[Collection(DeployCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ProvisionBundleTests : IAsyncDisposable
{
    private static readonly string[] Ids = ["site1-door", "site1-hall", "site2-door"];
    private readonly TempDir _dir = new();
    private readonly FakeDevice _device = new();

    private string Etc(string file) => _device.Path("etc", "workerpool", file);

    private async Task ProvisionAsync(string template, params string[] options)
    {
        var ca = await FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "ca", "init", "--out", _dir.File("ca"));
        Assert.True(ca.Code == 0, string.Join("\n", ca.Stderr));
        var provision = await FleetFixture.RunAsync(TimeSpan.FromMinutes(2),
            ["provision", "--devices", string.Join(',', Ids), "--template", template, "--ca", _dir.File("ca"), "--out", _dir.File("bundles"), .. options]);
        Assert.True(provision.Code == 0, string.Join("\n", provision.Stderr));
    }

    [Fact]
    public async Task InstallBundle_PlacesTheCertificateKeyCasAndConfig_ReadableByTheServiceGroupOnly()
    {
        await ProvisionAsync(Repo.Path("device-config", "appliance.json"));
        string bundle = _dir.File("bundles/site1-hall");

        var (code, stderr) = await _device.RunAsync("install.sh", "--bundle", bundle, "--no-start", _device.FakeRelease("1.0.0+aaa", "healthy"));

        Assert.True(code == 0, stderr);
        const UnixFileMode GroupRead = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        foreach (var file in new[] { "device.crt", "device.key", "broker-ca.crt", "release-public.pem", "config.json" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(bundle, file)), File.ReadAllBytes(Etc(file)));
            Assert.Equal(GroupRead, File.GetUnixFileMode(Etc(file))); // the service user reads them through group workerpool (chgrp needs root: on the device only)
        }
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute,
            File.GetUnixFileMode(_device.Path("etc", "workerpool")));
        Assert.Equal("site1-hall", (string?)JsonNode.Parse(File.ReadAllText(Etc("config.json")))!["deviceId"]);
        Assert.Contains("daemon-reload", _device.SystemctlCalls);
        Assert.DoesNotContain(_device.SystemctlCalls, c => c.StartsWith("restart", StringComparison.Ordinal));
    }

    [Fact]
    public async Task InstallBundle_FromATarball_ReplacesThePlaceholderConfig_ButKeepsAnEditedOne()
    {
        await ProvisionAsync(Repo.Path("device-config", "appliance.json"));
        string release = _device.FakeRelease("1.0.0+aaa", "healthy");
        Directory.CreateDirectory(_device.Path("etc", "workerpool"));
        File.Copy(Repo.Path("device-config", "appliance.json"), Etc("config.json")); // an install before the bundle: the placeholder
        string tarball = _dir.File("site2-door.tar.gz");
        var tar = await HostProcess.RunFileAsync("tar", null, TimeSpan.FromMinutes(1), "-czf", tarball, "-C", _dir.File("bundles"), "site2-door");
        Assert.Equal(0, tar.Code);

        var (code, stderr) = await _device.RunAsync("install.sh", "--bundle", tarball, "--no-start", release);
        Assert.True(code == 0, stderr);
        Assert.Equal(File.ReadAllText(_dir.File("bundles/site2-door/config.json")), File.ReadAllText(Etc("config.json")));

        // Edited on site, then a new bundle (a renewed certificate): the certificate is replaced, the config kept.
        File.WriteAllText(Etc("config.json"), File.ReadAllText(Etc("config.json")).Replace("\"stallSeconds\": 60", "\"stallSeconds\": 90", StringComparison.Ordinal));
        string edited = File.ReadAllText(Etc("config.json"));
        var again = await FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "provision", "--device", "site2-door", "--ca", _dir.File("ca"), "--out", _dir.File("renewed"),
            "--template", Repo.Path("device-config", "appliance.json"));
        Assert.True(again.Code == 0, string.Join("\n", again.Stderr));
        (code, stderr) = await _device.RunAsync("install.sh", "--bundle", _dir.File("renewed/site2-door"), "--no-start", release);
        Assert.True(code == 0, stderr);
        Assert.Equal(edited, File.ReadAllText(Etc("config.json")));
        Assert.Equal(File.ReadAllText(_dir.File("renewed/site2-door/device.crt")), File.ReadAllText(Etc("device.crt")));
        Assert.Contains("kept the existing", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProvisionedDevice_ConnectsToABrokerThatTrustsTheFleetCa_AsItsId_AndPublishesItsStatus()
    {
        // The broker's own certificate comes from another CA (given with --broker-ca); devices are authenticated by the fleet CA.
        using var server = new TlsFiles("broker.test");
        int plainPort = RtspServer.FreePort();
        string caFile = _dir.File("ca/ca.crt");
        using var broker = MosquittoBroker.FromConfig(tlsPort => $"""
            per_listener_settings true
            listener {plainPort} 127.0.0.1
            allow_anonymous true
            listener {tlsPort} 127.0.0.1
            cafile {caFile}
            certfile {server.ServerCert}
            keyfile {server.ServerKey}
            require_certificate true
            use_identity_as_username true
            allow_anonymous false
            log_type all
            """);
        string template = ConfigFiles.DeriveServiceConfig(_dir, "template.json", broker.Port, c => c["mqtt"]!["tls"] = new JsonObject { ["serverName"] = "broker.test" });
        await ProvisionAsync(template, "--broker-ca", server.Ca, "--broker-port", broker.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--install-dir", _device.Path("etc", "workerpool"));
        var (code, stderr) = await _device.RunAsync("install.sh", "--bundle", _dir.File("bundles/site1-door"), "--no-start", _device.FakeRelease("1.0.0+aaa", "healthy"));
        Assert.True(code == 0, stderr);

        // The device's own check accepts the installed config and its TLS files.
        var check = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", Etc("config.json"));
        Assert.True(check.Code == 0, string.Join("\n", check.Stdout.Concat(check.Stderr)));

        broker.Start();
        await using var watcher = new MqttProbe();
        await watcher.ConnectAsync(plainPort, "workerpool/+/status");
        await using var host = HostProcess.Start("run", "--config", Etc("config.json"));
        var got = await watcher.WaitForAsync(m => m.Any(x => x.Topic == "workerpool/site1-door/status" && x.Json.GetProperty("state").GetString() == "online"),
            TimeSpan.FromSeconds(90), "online status of site1-door");

        Assert.DoesNotContain(got, x => x.Topic != "workerpool/site1-door/status");
        Assert.Contains("u'site1-door'", broker.LogText, StringComparison.Ordinal); // the certificate's CN became the user name
        using var cert = X509Certificate2.CreateFromPem(File.ReadAllText(Etc("device.crt")));
        Assert.Equal("CN=WorkerPool Fleet CA", cert.Issuer);
    }

    public async ValueTask DisposeAsync()
    {
        await _device.DisposeAsync();
        _dir.Dispose();
    }
}
