using WorkerPool.Health;

namespace WorkerPool.Tests.Health;

public sealed class HealthFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("healthfile-test-").FullName;

    private static HealthFileContent Content(string state, string? reason) => new(state, reason, "0.1.0+abc", 42, DateTimeOffset.UnixEpoch);

    [Fact]
    public void Write_PadsTheFileSoThatItCanBeOverwrittenInPlace_AndItStillParses()
    {
        string path = Path.Combine(_dir, "health.json");
        HealthFile.Write(path, Content("healthy", null));
        Assert.Equal(HealthFile.MinBytes, new FileInfo(path).Length);
        Assert.Equal("healthy", HealthFile.Read(path)!.State);
        Assert.Contains("\"state\":\"healthy\"", File.ReadAllText(path), StringComparison.Ordinal); // what update.sh greps
    }

    [Fact]
    public void WriteInPlace_OverALongerOldFile_LeavesNothingOfItBehind()
    {
        // A full disk: the verdict goes over the old file's blocks. The old one was longer (a long reason).
        string path = Path.Combine(_dir, "health.json");
        HealthFile.Write(path, Content("degraded", new string('x', 3000)));
        HealthFile.WriteInPlace(path, Content("healthy", null));

        var read = HealthFile.Read(path);
        Assert.NotNull(read);
        Assert.Equal(("healthy", (string?)null), (read.State, read.Reason));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
