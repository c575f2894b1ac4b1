using OpenCvSharp;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Placing;

/// <summary><c>workerpool-fleet snapshot</c> end to end: a real Mosquitto, the service on the sample video, signed commands.</summary>
public sealed class FleetSnapshotTests : IDisposable
{
    private const int SigTerm = 15;
    private readonly TempDir _dir = new();
    private readonly MosquittoBroker _broker = new();

    [Fact]
    public async Task FleetSnapshot_WritesTheCamerasAnnotatedFrameAsAJpegAndSaysWhyWhenItCannot()
    {
        _broker.Start();
        var (keygen, _, keygenErr) = await Fleet.FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "keygen", "--out", _dir.File("keys"));
        Assert.True(keygen == 0, string.Join("\n", keygenErr));
        string config = ConfigFiles.DeriveServiceConfig(_dir, "snapshot.json", _broker.Port, c =>
            c["security"] = new System.Text.Json.Nodes.JsonObject { ["fleetPublicKey"] = File.ReadAllText(_dir.File("keys/fleet-public.pem")) });
        await using var host = HostProcess.Start("run", "--config", config);
        await host.WaitForStderrAsync("MQTT connected", TimeSpan.FromSeconds(90));
        string[] target = ["--device", "demo-01", "--broker", $"127.0.0.1:{_broker.Port}", "--signing-key", _dir.File("keys/fleet-private.pem"), "--timeout", "60"];
        static string Output((int Code, string[] Stdout, string[] Stderr) run) => $"exit {run.Code}\n" + string.Join("\n", run.Stdout.Concat(run.Stderr));

        string frame = _dir.File("frame.jpg");
        var taken = await Fleet.FleetFixture.RunAsync(TimeSpan.FromMinutes(2), ["snapshot", .. target, "--camera", "vtest", "--out", frame]);
        Assert.True(taken.Code == 0, Output(taken));
        using (var picture = Cv2.ImRead(frame))
            Assert.Equal((768, 576), (picture.Width, picture.Height));
        Assert.Contains("768x576 JPEG", taken.Stdout[^1], StringComparison.Ordinal);

        var unknown = await Fleet.FleetFixture.RunAsync(TimeSpan.FromMinutes(2), ["snapshot", .. target, "--camera", "nope", "--out", _dir.File("nope.jpg")]);
        Assert.True(unknown.Code == 1, Output(unknown));
        Assert.Contains("no camera 'nope' (this device has: vtest)", string.Join("\n", unknown.Stderr), StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.File("nope.jpg")));

        var unwritable = await Fleet.FleetFixture.RunAsync(TimeSpan.FromMinutes(2), ["snapshot", .. target, "--camera", "vtest", "--out", _dir.File("missing/frame.jpg")]);
        Assert.True(unwritable.Code == 2, Output(unwritable));
        Assert.Contains("cannot write", string.Join("\n", unwritable.Stderr), StringComparison.Ordinal);

        var unsigned = await Fleet.FleetFixture.RunAsync(TimeSpan.FromMinutes(2), ["snapshot", .. target[..^4], "--timeout", "60", "--camera", "vtest", "--out", _dir.File("unsigned.jpg")]);
        Assert.True(unsigned.Code == 1, Output(unsigned));
        Assert.Contains("signature is required", string.Join("\n", unsigned.Stderr), StringComparison.Ordinal);

        var absent = await Fleet.FleetFixture.RunAsync(TimeSpan.FromMinutes(2), ["snapshot", "--device", "nobody", "--broker", $"127.0.0.1:{_broker.Port}", "--timeout", "2", "--camera", "vtest", "--out", _dir.File("nobody.jpg")]);
        Assert.True(absent.Code == 1, Output(absent));
        Assert.Contains("no reply from nobody within 2 s", string.Join("\n", absent.Stderr), StringComparison.Ordinal);
        Assert.False(File.Exists(_dir.File("nobody.jpg")));

        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    public void Dispose()
    {
        _broker.Dispose();
        _dir.Dispose();
    }
}
