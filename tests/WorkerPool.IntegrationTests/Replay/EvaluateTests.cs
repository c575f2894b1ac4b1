using System.Text.Json;
using System.Text.Json.Nodes;
using OpenCvSharp;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Replay;

/// <summary>One <c>evaluate</c> of vtest.avi against the PETS ground truth, with the demo config plus the <c>walk</c> zone.</summary>
public sealed class PetsEvaluationFixture : IAsyncLifetime
{
    public TempDir Dir { get; } = new();
    public int ExitCode { get; private set; }
    public string[] Stdout { get; private set; } = [];
    public JsonElement Summary { get; private set; }
    public string Errors => Dir.File("errors");

    public async Task InitializeAsync()
    {
        // The walkway field without the far person in the top-left whom the ground truth leaves out (issue 15).
        string config = ConfigFiles.DeriveFromDemo(Dir, "walk.json", c => c["cameras"]![0]!["zones"]!.AsArray().Add(new JsonObject
        {
            ["id"] = "walk",
            ["polygon"] = new JsonArray(new JsonArray(0, 0.27), new JsonArray(1, 0.27), new JsonArray(1, 1), new JsonArray(0, 1)),
        }));
        var (code, stdout, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(5), "evaluate", "--config", config, "--camera", "vtest",
            "--video", Repo.Sample, "--gt", Repo.PetsGroundTruth, "--annotate-errors", Errors);
        ExitCode = code;
        Stdout = stdout;
        Assert.True(stdout.Length > 0, "evaluate printed nothing; stderr:\n" + string.Join("\n", stderr));
        using var doc = JsonDocument.Parse(stdout[^1]);
        Summary = doc.RootElement.Clone();
    }

    public Task DisposeAsync()
    {
        Dir.Dispose();
        return Task.CompletedTask;
    }
}

public class EvaluateTests(PetsEvaluationFixture evaluation) : IClassFixture<PetsEvaluationFixture>
{
    private JsonElement Line(string id) => evaluation.Summary.GetProperty("lines").GetProperty(id);

    [Fact]
    public void Evaluate_Pets_PrintsATableThenTheJsonLineOfTheDocumentedShape()
    {
        Assert.Equal(0, evaluation.ExitCode);
        Assert.Contains(evaluation.Stdout, l => l.StartsWith("line ", StringComparison.Ordinal));
        var root = evaluation.Summary;
        Assert.Equal(["frames", "fps", "lines", "zones"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(795, root.GetProperty("frames").GetInt64());
        Assert.True(root.GetProperty("fps").GetDouble() > 0);
        Assert.Equal(["mid", "walkway", "left"], root.GetProperty("lines").EnumerateObject().Select(p => p.Name));
        foreach (var line in root.GetProperty("lines").EnumerateObject())
        {
            Assert.Equal(["in", "out", "refIn", "refOut", "missed", "extra"], line.Value.EnumerateObject().Select(p => p.Name));
            foreach (var error in line.Value.GetProperty("missed").EnumerateArray().Concat(line.Value.GetProperty("extra").EnumerateArray()))
            {
                Assert.Equal(["frame", "dir"], error.EnumerateObject().Select(p => p.Name));
                Assert.InRange(error.GetProperty("frame").GetInt64(), 1, 795);
                Assert.Contains(error.GetProperty("dir").GetString(), new[] { "in", "out" });
            }
        }
        foreach (var zone in root.GetProperty("zones").EnumerateObject())
            Assert.Equal(["mean", "refMean", "mae"], zone.Value.EnumerateObject().Select(p => p.Name));
    }

    // The reference counts of ../shared/datasets/pets09-s2l1/README.md, worked out from gt.txt on the demo's own lines.
    [Theory]
    [InlineData("mid", 13, 18)]
    [InlineData("walkway", 18, 13)]
    [InlineData("left", 13, 18)]
    public void Evaluate_Pets_ReferenceCountsAreTheGroundTruthTables(string id, int refIn, int refOut)
    {
        Assert.Equal((refIn, refOut), (Line(id).GetProperty("refIn").GetInt32(), Line(id).GetProperty("refOut").GetInt32()));
    }

    [Theory]
    [InlineData("mid")]
    [InlineData("walkway")]
    [InlineData("left")]
    public void Evaluate_Pets_MissedAndExtraAccountForTheDifferenceInCounts(string id)
    {
        var line = Line(id);
        foreach (string dir in new[] { "in", "out" })
        {
            int missed = line.GetProperty("missed").EnumerateArray().Count(e => e.GetProperty("dir").GetString() == dir);
            int extra = line.GetProperty("extra").EnumerateArray().Count(e => e.GetProperty("dir").GetString() == dir);
            string name = "ref" + char.ToUpperInvariant(dir[0]) + dir[1..];
            Assert.Equal(line.GetProperty(name).GetInt32() - missed + extra, line.GetProperty(dir).GetInt32());
        }
    }

    [Fact]
    public void Evaluate_Pets_SummedLineErrorIsTodaysBaseline()
    {
        // The baseline of docs/ACCURACY.md: 5 of 93 (mid 14/17, walkway 18/14, left 14/17). A tracker or counter
        // change that moves it updates the number there and here.
        int error = new[] { "mid", "walkway", "left" }.Sum(id =>
            Math.Abs(Line(id).GetProperty("in").GetInt32() - Line(id).GetProperty("refIn").GetInt32())
            + Math.Abs(Line(id).GetProperty("out").GetInt32() - Line(id).GetProperty("refOut").GetInt32()));
        Assert.Equal(5, error);
    }

    [Fact]
    public void Evaluate_Pets_WalkZoneReferenceMeanIsTheGroundTruths()
    {
        var walk = evaluation.Summary.GetProperty("zones").GetProperty("walk");
        Assert.Equal(5.771, walk.GetProperty("refMean").GetDouble(), 3);
        Assert.InRange(walk.GetProperty("mean").GetDouble(), 5.77 - 1, 5.77 + 1);
        Assert.InRange(walk.GetProperty("mae").GetDouble(), 0, 1);
    }

    [Fact]
    public void Evaluate_AnnotateErrors_SavesOneFramePicturePerMissedOrExtraCrossing()
    {
        int errors = evaluation.Summary.GetProperty("lines").EnumerateObject()
            .Sum(l => l.Value.GetProperty("missed").GetArrayLength() + l.Value.GetProperty("extra").GetArrayLength());
        var pictures = Directory.GetFiles(evaluation.Errors, "*.png");
        Assert.Equal(errors, pictures.Length);
        using var image = Cv2.ImRead(pictures[0]);
        Assert.Equal((768, 576), (image.Width, image.Height));
    }
}

public class EvaluateArgumentTests
{
    [Fact]
    public async Task Evaluate_GarbledGroundTruth_ExitsAsAnInvalidConfigNamingTheLine()
    {
        using var dir = new TempDir();
        string gt = dir.File("gt.txt");
        await File.WriteAllTextAsync(gt, "1,1,10,10,20,40,1,-1,-1,-1\n1,2,10,10,20\n");
        var (code, _, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "evaluate", "--config", Repo.DemoConfig, "--camera", "vtest",
            "--video", Repo.Sample, "--gt", gt);
        Assert.Equal(2, code);
        Assert.Contains(stderr, l => l.Contains("--gt:", StringComparison.Ordinal) && l.Contains("line 2: expected at least 6 comma-separated fields", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Evaluate_UnknownCameraAndMissingGroundTruth_AreBothNamed()
    {
        var (code, _, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "evaluate", "--config", Repo.DemoConfig, "--camera", "door",
            "--video", Repo.Sample, "--gt", Repo.Path("no-such-gt.txt"));
        Assert.Equal(2, code);
        Assert.Contains(stderr, l => l.Contains("--camera: no camera 'door'", StringComparison.Ordinal));
        Assert.Contains(stderr, l => l.Contains("--gt:", StringComparison.Ordinal) && l.Contains("does not exist", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Evaluate_GroundTruthLongerThanTheVideo_ReportsTheFramesBeyondAndEvaluatesTheRest()
    {
        using var dir = new TempDir();
        string clip = dir.File("first20.avi");
        // The first 20 frames of the sample, written by OpenCV's own MJPEG writer (no FFmpeg needed).
        using (var source = new VideoCapture(Repo.Sample))
        using (var writer = new VideoWriter(clip, VideoWriter.FourCC('M', 'J', 'P', 'G'), 10, new Size(768, 576)))
        using (var frame = new Mat())
        {
            for (int i = 0; i < 20; i++)
            {
                Assert.True(source.Read(frame), "the sample has fewer than 20 frames");
                writer.Write(frame);
            }
        }
        var (code, stdout, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "evaluate", "--config", Repo.DemoConfig, "--camera", "vtest",
            "--video", clip, "--gt", Repo.PetsGroundTruth);
        Assert.True(code == 0, string.Join("\n", stderr.TakeLast(20)));
        Assert.Contains(stderr, l => l.Contains("beyond the video's 20 frames", StringComparison.Ordinal));
        using var doc = JsonDocument.Parse(stdout[^1]);
        Assert.Equal(20, doc.RootElement.GetProperty("frames").GetInt64());
        var frameZone = doc.RootElement.GetProperty("zones").GetProperty("frame");
        Assert.InRange(frameZone.GetProperty("refMean").GetDouble(), 1, 10);
    }
}
