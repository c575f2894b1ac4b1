namespace WorkerPool.IntegrationTests.Infrastructure;

/// <summary>Paths in the checkout: the model and sample that deploy-scripts/test.sh fetched, configs, scripts.</summary>
public static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string Model => Require(Path("models", "yolox_nano.onnx"), "deploy-scripts/fetch-model.sh");

    public static string Manifest => Path("models", "yolox_nano.json");

    public static string Sample => Require(Path("samples", "vtest.avi"), "deploy-scripts/fetch-sample.sh");

    /// <summary>The PETS 2009 S2.L1 ground truth of vtest.avi, beside the checkout in ../shared.</summary>
    public static string PetsGroundTruth => Require(System.IO.Path.GetFullPath(Path("..", "shared", "datasets", "pets09-s2l1", "gt.txt")),
        "nothing: it comes with ../shared/datasets");

    public static string DemoConfig => Path("device-config", "demo.json");

    public static string HostScript => Path("deploy-scripts", "workerpool");

    private static string Require(string path, string fetch) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"{path} is missing: run {fetch} (deploy-scripts/test.sh does)", path);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "WorkerPool.sln"))) return dir.FullName;
        throw new InvalidOperationException("WorkerPool.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>A temporary directory removed at dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "workerpool-test-" + Guid.NewGuid().ToString("N")[..12]);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
