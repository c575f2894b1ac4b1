using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using WorkerPool.IntegrationTests.Fleet;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Deploy;

/// <summary>workerpool-fleet decommission against a real service: the device hands the job to its root helper, the CA revokes it, the retained desired state is cleared.</summary>
public sealed class DecommissionTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly MosquittoBroker _broker = new();

    public void Dispose()
    {
        _broker.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Decommission_AsksTheDevicesHelperToRetireIt_RevokesItsCertificate_AndClearsWhatWasRetainedForIt()
    {
        _broker.Start();
        var ca = await FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "ca", "init", "--out", _dir.File("ca"));
        Assert.True(ca.Code == 0, string.Join("\n", ca.Stderr));
        var provision = await FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "provision", "--device", "demo-01", "--ca", _dir.File("ca"), "--out", _dir.File("bundles"));
        Assert.True(provision.Code == 0, string.Join("\n", provision.Stderr));
        string config = ConfigFiles.DeriveServiceConfig(_dir, "device.json", _broker.Port, c =>
        {
            c["security"] = new JsonObject { ["fleetPublicKey"] = File.ReadAllText(_dir.File("ca/fleet-public.pem")) };
            c["updates"] = new JsonObject { ["enabled"] = true };
        });
        await using var host = HostProcess.Start("run", "--config", config);
        await host.WaitForStderrAsync("MQTT connected", TimeSpan.FromSeconds(90));
        await using var watcher = new MqttProbe();
        await watcher.ConnectAsync(_broker.Port, "workerpool/demo-01/#");
        await watcher.PublishAsync("workerpool/demo-01/software/desired", """{"rollout":"r-old"}""", retain: true);

        var run = await FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "decommission", "--device", "demo-01", "--ca", _dir.File("ca"),
            "--signing-key", _dir.File("ca/fleet-private.pem"), "--broker", $"127.0.0.1:{_broker.Port}");

        Assert.True(run.Code == 0, string.Join("\n", run.Stdout.Concat(run.Stderr)));
        Assert.Contains(run.Stdout, l => l.Contains("\"requested\":\"decommission\"", StringComparison.Ordinal));
        // The request for the root helper (workerpool-update.path starts it on a device).
        Assert.Equal(["action=decommission"], File.ReadAllLines(_dir.File("update/request")));
        // The certificate the CA issued is on its revocation list.
        using var issued = X509Certificate2.CreateFromPem(File.ReadAllText(_dir.File("bundles/demo-01/device.crt")));
        var crl = System.Security.Cryptography.X509Certificates.CertificateRevocationListBuilder.LoadPem(File.ReadAllText(_dir.File("ca/ca.crl")), out _);
        Assert.True(crl.RemoveEntry(Convert.FromHexString(issued.SerialNumber)), "the device's certificate is not in ca.crl");
        // Nothing desired is left retained for it: a new subscriber gets no desired config or software.
        await using var late = new MqttProbe();
        await late.ConnectAsync(_broker.Port, "workerpool/demo-01/+/desired");
        await late.PublishAsync("workerpool/demo-01/probe/desired", "{}", retain: false);
        var got = await late.WaitForAsync(m => m.Any(x => x.Topic.EndsWith("/probe/desired", StringComparison.Ordinal)), TimeSpan.FromSeconds(10), "the probe");
        Assert.DoesNotContain(got, m => m.Retained);
    }

    [Fact]
    public async Task Decommission_OfADeviceThatDoesNotAnswer_StillRevokesIt_ButSaysItDidNotConfirm()
    {
        _broker.Start();
        Assert.Equal(0, (await FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "ca", "init", "--out", _dir.File("ca"))).Code);
        Assert.Equal(0, (await FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "provision", "--device", "gone-01", "--ca", _dir.File("ca"), "--out", _dir.File("bundles"))).Code);

        var run = await FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "decommission", "--device", "gone-01", "--ca", _dir.File("ca"),
            "--signing-key", _dir.File("ca/fleet-private.pem"), "--broker", $"127.0.0.1:{_broker.Port}", "--timeout", "2");

        Assert.Equal(1, run.Code);
        Assert.Contains(run.Stdout, l => l.Contains("no answer from gone-01", StringComparison.Ordinal));
        Assert.Contains(run.Stdout, l => l.StartsWith("revoked gone-01", StringComparison.Ordinal));
        Assert.True(File.Exists(_dir.File("ca/ca.crl")));
    }
}
