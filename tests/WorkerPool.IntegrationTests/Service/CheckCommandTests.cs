using System.Text.Json.Nodes;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Service;

/// <summary><c>workerpool check</c>, and the native-library overrides a Jetson uses (docs/JETSON.md).</summary>
public sealed class CheckCommandTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string BundledOnnxRuntime =>
        Repo.Path("src", "WorkerPool.Host", "bin", "Release", "net10.0", "runtimes", "linux-x64", "native", "libonnxruntime.so");

    [Fact]
    public async Task Check_GpuWorkerOnACpuOnlyRuntime_PassesButWarnsItWillRunOnTheCpu()
    {
        string config = ConfigFiles.DeriveFromDemo(_dir, "gpu.json", c =>
            c["pool"]!["workers"] = new JsonArray(new JsonObject { ["device"] = "tensorrt:0", ["cores"] = new JsonArray(0) }));

        var (code, stdout, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", config);

        Assert.True(code == 0, string.Join("\n", stderr));
        Assert.Contains("config OK: device demo-01, 1 camera(s), workers [tensorrt:0], model yolox_nano", stdout);
        // Beside the outbox by default: what update.sh waits on.
        Assert.Contains("health file: " + Path.Combine(Path.GetDirectoryName(config)!, "health.json"), stdout);
        Assert.Contains(stdout, l => l.StartsWith("ONNX Runtime 1.", StringComparison.Ordinal) && l.Contains("(bundled): CPUExecutionProvider", StringComparison.Ordinal));
        Assert.Contains(stdout, l => l.StartsWith("OpenCV 4.", StringComparison.Ordinal) && l.EndsWith("(bundled)", StringComparison.Ordinal));
        Assert.Contains(stdout, l => l.StartsWith("warning: tensorrt:0 needs TensorrtExecutionProvider", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Check_PersistedRemoteConfigNoLongerValid_SaysSo_ButLeavesItWhereItIs()
    {
        string config = ConfigFiles.DeriveFromDemo(_dir, "run.json", _ => { });
        File.WriteAllText(_dir.File("remote-config.json"), """{"version": 2, "overlay": {"pool": {"workers": [{"device": "cpu", "cores": [4000]}]}}}""");

        var (code, stdout, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", config);

        Assert.True(code == 0, string.Join("\n", stderr));
        Assert.Contains(stdout, l => l.StartsWith("notice: Remote config version 2 no longer validates", StringComparison.Ordinal));
        Assert.True(File.Exists(_dir.File("remote-config.json")));
        Assert.False(File.Exists(_dir.File("remote-config.json.discarded")));
    }

    [Fact]
    public async Task OnnxRuntimeTelemetry_IsOff_NothingIsKeptUnderHome()
    {
        string home = _dir.File("home");
        Directory.CreateDirectory(home);
        var (code, _, stderr) = await HostProcess.RunFileAsync(Repo.HostScript, new Dictionary<string, string> { ["HOME"] = home },
            TimeSpan.FromMinutes(2), "check", "--config", Repo.DemoConfig);

        Assert.True(code == 0, string.Join("\n", stderr));
        Assert.Empty(Directory.GetFileSystemEntries(home)); // ONNX Runtime's uploader keeps a device id and events in ~/.cache when on
        Assert.DoesNotContain(stderr, l => l.Contains("telemetry", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Check_InvalidConfig_ExitsTwoNamingTheField()
    {
        string config = ConfigFiles.DeriveFromDemo(_dir, "bad.json", c => c["thermal"] = new JsonObject { ["throttleCelsius"] = 500 });
        var (code, _, stderr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(2), "check", "--config", config);
        Assert.Equal(2, code);
        Assert.Contains(stderr, l => l.Contains("thermal.throttleCelsius", StringComparison.Ordinal));
    }

    [Fact]
    public async Task OnnxRuntimeOverride_LoadsTheNamedLibrary()
    {
        // Stands in for JetPack's GPU build: a copy of the bundled library somewhere else.
        string copy = _dir.File("libonnxruntime.so");
        File.Copy(BundledOnnxRuntime, copy);
        var env = new Dictionary<string, string> { ["WORKERPOOL_ONNXRUNTIME"] = copy };

        var (code, stdout, stderr) = await HostProcess.RunFileAsync(Repo.HostScript, env, TimeSpan.FromMinutes(2), "check", "--config", Repo.DemoConfig);

        Assert.True(code == 0, string.Join("\n", stderr));
        Assert.Contains(stdout, l => l.Contains($"({copy}): CPUExecutionProvider", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("WORKERPOOL_ONNXRUNTIME", "ONNX Runtime")]
    [InlineData("WORKERPOOL_OPENCVSHARP_EXTERN", "OpenCvSharpExtern")]
    public async Task NativeOverrideThatIsNotALibrary_StopsRunAtStartWithExitThree(string variable, string named)
    {
        string broken = _dir.File("broken.so");
        File.WriteAllText(broken, "not an ELF file");
        string config = ConfigFiles.DeriveFromDemo(_dir, "run.json", _ => { });
        var (code, _, stderr) = await HostProcess.RunFileAsync(Repo.HostScript, new Dictionary<string, string> { [variable] = broken },
            TimeSpan.FromMinutes(2), "run", "--config", config);
        Assert.Equal(3, code);
        Assert.Contains(stderr, l => l.Contains($"{named} ({broken}) does not load", StringComparison.Ordinal));
        Assert.Contains(stderr, l => l.Contains("docs/JETSON.md", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("WORKERPOOL_ONNXRUNTIME")]
    [InlineData("WORKERPOOL_OPENCVSHARP_EXTERN")]
    public async Task NativeOverrideToAMissingFile_StopsAtStartSayingWhich(string variable)
    {
        var env = new Dictionary<string, string> { [variable] = "/nonexistent/lib.so" };
        var (code, _, stderr) = await HostProcess.RunFileAsync(Repo.HostScript, env, TimeSpan.FromMinutes(2), "check", "--config", Repo.DemoConfig);
        Assert.Equal(2, code);
        Assert.Contains($"{variable}=/nonexistent/lib.so: no such file", stderr);
    }
}
