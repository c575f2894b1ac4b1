using System.Globalization;
using System.Text.Json.Nodes;
using WorkerPool.IntegrationTests.Fleet;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Security;

/// <summary>
/// <c>workerpool-fleet renew</c> against a real device on a real Mosquitto that authenticates devices by the fleet
/// CA and checks its revocation list: the device switches to the renewed certificate (the broker still takes it once
/// the old one is revoked), and a certificate from another CA is refused after its test connection fails.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class CertificateRenewalTests : IDisposable
{
    private const int SigTerm = 15;
    private const string Id = "renew-01";
    private readonly TempDir _dir = new();

    private string Ca => _dir.File("ca");

    private string Bundle(string file) => _dir.File($"bundles/{Id}/{file}");

    private static async Task<string[]> FleetAsync(params string[] args)
    {
        var (code, stdout, stderr) = await FleetFixture.RunAsync(TimeSpan.FromMinutes(3), args);
        Assert.True(code == 0, $"workerpool-fleet {args[0]} exited {code}:\n" + string.Join("\n", stdout.Concat(stderr)));
        return stdout;
    }

    [Fact]
    public async Task Renew_SwitchesTheDeviceToTheNewCertificateForGood_ACertificateFromAnotherCaLeavesTheOldOneInUse()
    {
        using var server = new TlsFiles("broker.test");
        int plainPort = RtspServer.FreePort();
        await FleetAsync("ca", "init", "--out", Ca);
        string template = ConfigFiles.DeriveServiceConfig(_dir, "template.json", 1883, c =>
        {
            c["mqtt"]!["tls"] = new JsonObject { ["serverName"] = "broker.test" };
            c["mqtt"]!["heartbeatSeconds"] = 1;
            c["mqtt"]!["maxBackoffSeconds"] = 2;
            c["mqtt"]!["switchTimeoutSeconds"] = 15;
        });
        // A spare device revoked at once: the broker's crlfile exists from the start.
        await FleetAsync("provision", "--device", "spare", "--template", template, "--ca", Ca, "--out", _dir.File("spare"));
        await FleetAsync("ca", "revoke", "--ca", Ca, "--device", "spare");
        using var broker = FleetTlsBroker.Create(Path.Combine(Ca, "ca.crt"), server, plainPort, crlFile: Path.Combine(Ca, "ca.crl"));
        await FleetAsync("provision", "--device", Id, "--template", template, "--ca", Ca, "--out", _dir.File("bundles"), "--broker-ca", server.Ca,
            "--broker-port", broker.Port.ToString(CultureInfo.InvariantCulture), "--install-dir", _dir.File($"bundles/{Id}"));
        broker.Start();
        string[] operatorArgs = ["--device", Id, "--broker", $"127.0.0.1:{plainPort}", "--timeout", "90"];
        string key = Path.Combine(Ca, "fleet-private.pem");

        await using var host = HostProcess.Start("run", "--config", Bundle("config.json"));
        await host.WaitForStderrAsync("MQTT connected", TimeSpan.FromSeconds(90));

        var renewed = await FleetAsync(["renew", .. operatorArgs, "--ca", Ca, "--key", key]);
        var result = JsonNode.Parse(renewed[^1])!["result"]!;
        Assert.True(result["switched"]!.GetValue<bool>(), renewed[^1]);
        string serial = result["serial"]!.GetValue<string>();
        Assert.True(File.Exists(Path.Combine(Ca, "issued", serial + ".json")), "renew did not record the certificate it issued");
        string newKey = _dir.File($"tls/device-{serial}.key");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(newKey));
        Assert.Contains($"device-{serial}.crt", File.ReadAllText(_dir.File("remote-config.json")), StringComparison.Ordinal);

        // The old certificate revoked and the broker restarted with the new list: the device is back, so it uses the new one.
        await FleetAsync("ca", "revoke", "--ca", Ca, "--cert", Bundle("device.crt"));
        broker.Stop();
        broker.Start();
        await using (var watcher = new MqttProbe())
        {
            await watcher.ConnectAsync(plainPort, $"workerpool/{Id}/heartbeat");
            await watcher.WaitForAsync(m => m.Length > 0, TimeSpan.FromSeconds(60), "a heartbeat after the old certificate was revoked");
        }

        // A certificate for the pending key from another CA: its test connection fails, nothing changes.
        await FleetAsync("ca", "init", "--out", _dir.File("other"));
        var csrReply = await FleetAsync(["cmd", .. operatorArgs, "--name", "renew-cert", "--signing-key", key]);
        File.WriteAllText(_dir.File("foreign.csr"), JsonNode.Parse(csrReply[^1])!["result"]!["csr"]!.GetValue<string>());
        var sign = await HostProcess.RunFileAsync("openssl", null, TimeSpan.FromMinutes(1), "x509", "-req", "-in", _dir.File("foreign.csr"),
            "-CA", _dir.File("other/ca.crt"), "-CAkey", _dir.File("other/ca.key"), "-set_serial", "0x1234", "-days", "30", "-out", _dir.File("foreign.crt"));
        Assert.True(sign.Code == 0, string.Join("\n", sign.Stderr));
        var args = new JsonObject { ["certificate"] = File.ReadAllText(_dir.File("foreign.crt")) }.ToJsonString();
        var refused = await FleetFixture.RunAsync(TimeSpan.FromMinutes(3), ["cmd", .. operatorArgs, "--name", "install-cert", "--signing-key", key, "--args", args]);
        Assert.True(refused.Code == 1, string.Join("\n", refused.Stdout.Concat(refused.Stderr)));
        Assert.Contains("not switched", refused.Stdout[^1], StringComparison.Ordinal);
        Assert.Contains("config.mqtt", refused.Stdout[^1], StringComparison.Ordinal);
        Assert.Contains($"device-{serial}.crt", File.ReadAllText(_dir.File("remote-config.json")), StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.File("tls/device-1234.crt")));
        await using (var watcher = new MqttProbe())
        {
            await watcher.ConnectAsync(plainPort, $"workerpool/{Id}/heartbeat");
            await watcher.WaitForAsync(m => m.Length > 1, TimeSpan.FromSeconds(30), "heartbeats after the refused certificate");
        }

        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        // After a restart the renewed certificate is still the one in use (the old one is revoked).
        await using var again = HostProcess.Start("run", "--config", Bundle("config.json"));
        await using (var watcher = new MqttProbe())
        {
            await watcher.ConnectAsync(plainPort, $"workerpool/{Id}/heartbeat");
            await watcher.WaitForAsync(m => m.Length > 0, TimeSpan.FromSeconds(90), "a heartbeat after a restart");
        }
        again.Signal(SigTerm);
        Assert.Equal(0, await again.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    public void Dispose() => _dir.Dispose();
}
