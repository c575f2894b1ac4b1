using WorkerPool.IntegrationTests.Fleet;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Security;

/// <summary><c>ca revoke</c> against a real Mosquitto whose TLS listener checks the fleet CA's revocation list (<c>crlfile</c>).</summary>
public sealed class RevocationTests : IDisposable
{
    private readonly TempDir _dir = new();

    [Fact]
    public async Task RevokedDevice_IsRefusedByABrokerWithTheCrl_AnotherDeviceStillConnects()
    {
        string ca = _dir.File("ca");
        Assert.Equal(0, (await FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "ca", "init", "--out", ca)).Code);
        var provision = await FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "provision", "--devices", "lost-one,kept-one",
            "--template", Repo.Path("device-config", "appliance.json"), "--ca", ca, "--out", _dir.File("bundles"));
        Assert.True(provision.Code == 0, string.Join("\n", provision.Stderr));
        var revoke = await FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "ca", "revoke", "--ca", ca, "--device", "lost-one");
        Assert.True(revoke.Code == 0, string.Join("\n", revoke.Stderr));
        Assert.Contains("revoked lost-one", string.Join("\n", revoke.Stdout), StringComparison.Ordinal);

        using var server = new TlsFiles("broker.test");
        using var broker = FleetTlsBroker.Create(Path.Combine(ca, "ca.crt"), server, RtspServer.FreePort(), crlFile: Path.Combine(ca, "ca.crl"));
        broker.Start();
        string Bundle(string id, string file) => _dir.File($"bundles/{id}/{file}");

        string? kept = await FleetTlsBroker.TryConnectAsync(broker.Port, server.Ca, "broker.test", Bundle("kept-one", "device.crt"), Bundle("kept-one", "device.key"));
        Assert.True(kept is null, "a device that is not revoked was refused: " + kept + "\n" + broker.LogText);
        string? lost = await FleetTlsBroker.TryConnectAsync(broker.Port, server.Ca, "broker.test", Bundle("lost-one", "device.crt"), Bundle("lost-one", "device.key"));
        Assert.NotNull(lost);
        Assert.True(broker.LogText.Contains("certificate verify failed", StringComparison.Ordinal), broker.LogText);
        // Refused for being on the list, as OpenSSL (Mosquitto's TLS) reads it, and for nothing else.
        var verify = await HostProcess.RunFileAsync("openssl", null, TimeSpan.FromMinutes(1), "verify", "-crl_check", "-CAfile", Path.Combine(ca, "ca.crt"),
            "-CRLfile", Path.Combine(ca, "ca.crl"), Bundle("lost-one", "device.crt"));
        Assert.Contains("certificate revoked", string.Join("\n", verify.Stdout.Concat(verify.Stderr)), StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
