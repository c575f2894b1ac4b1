using System.Text.Json.Nodes;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Service;

public class RunCommandTests
{
    private const int SigTerm = 15;

    [Fact]
    public async Task Run_DemoConfig_ClosesWindowsAndOnSigtermFlushesTheOpenOneAndExitsZero()
    {
        using var dir = new TempDir();
        string config = ConfigFiles.DeriveFromDemo(dir, "run.json", c =>
        {
            c["counting"]!["windowSeconds"] = 2;
            c["cameras"]![0]!["fps"] = 5;
        });
        await using var host = HostProcess.Start("run", "--config", config);

        await host.WaitForStderrAsync("Stored count record vtest seq 1 ", TimeSpan.FromSeconds(90));
        int closedBefore = host.Count("Stored count record");

        host.Signal(SigTerm);
        int code = await host.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(0, code);
        Assert.True(host.Count("Stored count record") > closedBefore,
            "the open window was not closed at shutdown:\n" + host.Tail());
        Assert.DoesNotContain(host.Stderr, l => l.Contains("fail:", StringComparison.Ordinal) || l.Contains("crit:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Run_InvalidConfig_StopsAtStartNamingEveryErrorByPath()
    {
        using var dir = new TempDir();
        string config = ConfigFiles.DeriveFromDemo(dir, "bad.json", c =>
        {
            c["pool"]!["workers"] = new JsonArray(new JsonObject { ["device"] = "tpu:0", ["cores"] = new JsonArray(4000) });
            var camera = c["cameras"]![0]!;
            camera["lines"]![0]!["to"] = new JsonArray(0.5, 1.5);
            camera["zones"]![0]!["polygon"] = new JsonArray(new JsonArray(0, 0), new JsonArray(1, 1));
        });

        var (code, _, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "run", "--config", config);

        Assert.Equal(2, code);
        string all = string.Join("\n", stderr);
        Assert.Contains("pool.workers[0].device", all, StringComparison.Ordinal);
        Assert.Contains("pool.workers[0].cores[0]", all, StringComparison.Ordinal);
        Assert.Contains("cameras[0].lines[0].to", all, StringComparison.Ordinal);
        Assert.Contains("cameras[0].zones[0].polygon", all, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_PersistedRemoteConfigNoLongerValid_StartsFromTheFileInsteadOfCrashLooping()
    {
        using var dir = new TempDir();
        string config = ConfigFiles.DeriveFromDemo(dir, "run.json", _ => { });
        File.WriteAllText(dir.File("remote-config.json"), """{"version": 2, "overlay": {"pool": {"workers": [{"device": "cpu", "cores": [4000]}]}}}""");
        await using var host = HostProcess.Start("run", "--config", config);

        await host.WaitForStderrAsync("no longer validates", TimeSpan.FromSeconds(90));
        await host.WaitForStderrAsync("Camera vtest connected", TimeSpan.FromSeconds(90));
        Assert.True(File.Exists(dir.File("remote-config.json.discarded")));
        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Run_ConfigThatIsNotJson_ExitsWithAClearError()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("broken.json"), "{ \"deviceId\": \"x\", ");
        var (code, _, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "run", "--config", dir.File("broken.json"));
        Assert.Equal(2, code);
        Assert.Contains(stderr, l => l.Contains("invalid config JSON", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Replay_FileThatIsNotAVideo_ExitsWithAClearError()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("noise.avi"), [.. Enumerable.Range(0, 50_000).Select(i => (byte)(i * 7919 % 251))]);
        var (code, _, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "replay", "--config", Repo.DemoConfig,
            "--camera", "vtest", "--video", dir.File("noise.avi"));
        Assert.Equal(2, code);
        Assert.Contains(stderr, l => l.Contains("--video", StringComparison.Ordinal) && l.Contains("could not be opened", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Replay_UnknownCamera_ListsTheCamerasThereAre()
    {
        var (code, _, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "replay", "--config", Repo.DemoConfig,
            "--camera", "nope", "--video", Repo.Sample);
        Assert.Equal(2, code);
        Assert.Contains(stderr, l => l.Contains("no camera 'nope'", StringComparison.Ordinal) && l.Contains("vtest", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Replay_VideoCutOffMidStream_CountsWhatItHasAndExitsZero()
    {
        using var dir = new TempDir();
        var bytes = File.ReadAllBytes(Repo.Sample);
        File.WriteAllBytes(dir.File("cut.avi"), bytes[..(bytes.Length * 2 / 5)]);

        var (code, stdout, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(3), "replay", "--config", Repo.DemoConfig,
            "--camera", "vtest", "--video", dir.File("cut.avi"));

        Assert.True(code == 0, string.Join("\n", stderr));
        var summary = Replay.ReplaySummary.Parse(stdout[^1]);
        Assert.InRange(summary.Frames, 100, 794);
    }
}
