using OpenCvSharp;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Replay;

/// <summary>One replay of vtest.avi with the demo config (two pinned workers), shared by the tests below.</summary>
public sealed class DemoReplayFixture : IAsyncLifetime
{
    public TempDir Dir { get; } = new();
    public ReplaySummary Summary { get; private set; } = null!;
    public int ExitCode { get; private set; }
    public string FramesOut => Dir.File("frames.jsonl");
    public string Annotated => Dir.File("last.png");

    public async Task InitializeAsync()
    {
        var (code, stdout, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(5), "replay", "--config", Repo.DemoConfig,
            "--camera", "vtest", "--video", Repo.Sample, "--frames-out", FramesOut, "--annotate", Annotated);
        ExitCode = code;
        Assert.True(stdout.Length > 0, "replay printed nothing; stderr:\n" + string.Join("\n", stderr));
        Summary = ReplaySummary.Parse(stdout[^1]);
    }

    public Task DisposeAsync()
    {
        Dir.Dispose();
        return Task.CompletedTask;
    }
}

public class ReplayAccuracyTests(DemoReplayFixture replay) : IClassFixture<DemoReplayFixture>
{
    // Reference counts from the PETS 2009 S2.L1 ground truth (../shared/datasets/pets09-s2l1/README.md).
    [Theory]
    [InlineData("mid", 13, 18)]
    [InlineData("walkway", 18, 13)]
    [InlineData("left", 13, 18)]
    public void Replay_Vtest_LineCountsWithinTenPercentOfGroundTruth(string line, int refIn, int refOut)
    {
        var (countIn, countOut) = replay.Summary.Lines[line];
        Assert.InRange(countIn, refIn * 0.9, refIn * 1.1);
        Assert.InRange(countOut, refOut * 0.9, refOut * 1.1);
    }

    [Fact]
    public void Replay_Vtest_FullFrameOccupancyWithinOneOfGroundTruth()
    {
        Assert.InRange(replay.Summary.Zones["frame"].Mean, 5.85 - 1.0, 5.85 + 1.0);
    }

    [Fact]
    public void Replay_Vtest_ProcessesEveryFrameAndExitsZero()
    {
        Assert.Equal(0, replay.ExitCode);
        Assert.Equal(795, replay.Summary.Frames);
        Assert.True(replay.Summary.Fps > 0);
    }

    [Fact]
    public void Replay_FramesOut_HasOneJsonLinePerFrameWithTracksAndZones()
    {
        var lines = File.ReadAllLines(replay.FramesOut);
        Assert.Equal(795, lines.Length);
        using var doc = System.Text.Json.JsonDocument.Parse(lines[400]);
        Assert.Equal(400, doc.RootElement.GetProperty("frame").GetInt64());
        var track = doc.RootElement.GetProperty("tracks").EnumerateArray().First();
        Assert.Equal(4, track.GetProperty("box").GetArrayLength());
        Assert.True(doc.RootElement.GetProperty("zones").GetProperty("frame").GetInt32() > 0);
    }

    [Fact]
    public void Replay_Annotate_SavesTheLastFrameAsAPicture()
    {
        using var image = Cv2.ImRead(replay.Annotated);
        Assert.Equal((768, 576), (image.Width, image.Height));
    }
}

public class ReplayDeterminismTests
{
    [Fact]
    public async Task Replay_OneWorkerAndTwoWorkers_CountTheSameBecauseResultsAreReordered()
    {
        using var dir = new TempDir();
        string oneWorker = ConfigFiles.DeriveFromDemo(dir, "one.json", c => c["pool"]!["workers"] = ConfigFiles.Workers(0));

        var two = await RunAsync(Repo.DemoConfig);
        var one = await RunAsync(oneWorker);

        Assert.Equal(two.Lines, one.Lines);
        Assert.Equal(two.Zones["frame"].Mean, one.Zones["frame"].Mean, 3);
    }

    private static async Task<ReplaySummary> RunAsync(string config)
    {
        var (code, stdout, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(5), "replay", "--config", config, "--camera", "vtest", "--video", Repo.Sample);
        Assert.True(code == 0, string.Join("\n", stderr));
        return ReplaySummary.Parse(stdout[^1]);
    }
}
