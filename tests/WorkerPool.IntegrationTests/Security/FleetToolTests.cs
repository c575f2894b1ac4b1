using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Security;

/// <summary>The operator tools of workerpool-fleet end to end: keygen, a signed config applied, unsigned ones and commands refused.</summary>
public sealed class FleetToolTests : IDisposable
{
    private const int SigTerm = 15;
    private readonly TempDir _dir = new();
    private readonly MosquittoBroker _broker = new();

    [Fact]
    public async Task FleetTool_SignedConfigAndCommandAreAcceptedUnsignedOnesRefused()
    {
        _broker.Start();
        var (keygen, _, keygenErr) = await Fleet.FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "keygen", "--out", _dir.File("keys"));
        Assert.True(keygen == 0, string.Join("\n", keygenErr));
        string config = ConfigFiles.DeriveFromDemo(_dir, "signed.json", c =>
        {
            c["mqtt"]!["enabled"] = true;
            c["mqtt"]!["port"] = _broker.Port;
            c["security"] = new System.Text.Json.Nodes.JsonObject { ["fleetPublicKey"] = File.ReadAllText(_dir.File("keys/fleet-public.pem")) };
        });
        File.WriteAllText(_dir.File("patch.json"), """{"counting": {"windowSeconds": 5}}""");
        await using var host = HostProcess.Start("run", "--config", config);
        await host.WaitForStderrAsync("MQTT connected", TimeSpan.FromSeconds(90));
        string[] target = ["--device", "demo-01", "--broker", $"127.0.0.1:{_broker.Port}", "--timeout", "60"];
        string key = _dir.File("keys/fleet-private.pem");

        var unsigned = await Fleet.FleetFixture.RunAsync(TimeSpan.FromMinutes(2), ["config", .. target, "--version", "1", "--file", _dir.File("patch.json")]);
        Assert.Equal(1, unsigned.Code);
        Assert.Contains("\"status\":\"rejected\"", unsigned.Stdout[^1], StringComparison.Ordinal);
        Assert.Contains("signature", unsigned.Stdout[^1], StringComparison.Ordinal);

        var signed = await Fleet.FleetFixture.RunAsync(TimeSpan.FromMinutes(2), ["config", .. target, "--version", "2", "--file", _dir.File("patch.json"), "--signing-key", key]);
        Assert.True(signed.Code == 0, string.Join("\n", signed.Stdout.Concat(signed.Stderr)));
        Assert.Contains("\"status\":\"applied\"", signed.Stdout[^1], StringComparison.Ordinal);

        var ping = await Fleet.FleetFixture.RunAsync(TimeSpan.FromMinutes(2), ["cmd", .. target, "--name", "ping", "--signing-key", key]);
        Assert.True(ping.Code == 0, string.Join("\n", ping.Stdout.Concat(ping.Stderr)));
        Assert.Contains("\"pong\":true", ping.Stdout[^1], StringComparison.Ordinal);

        var unsignedPing = await Fleet.FleetFixture.RunAsync(TimeSpan.FromMinutes(2), ["cmd", .. target, "--name", "ping"]);
        Assert.Equal(1, unsignedPing.Code);
        Assert.Contains("signature is required", unsignedPing.Stdout[^1], StringComparison.Ordinal);

        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    public void Dispose()
    {
        _broker.Dispose();
        _dir.Dispose();
    }
}
