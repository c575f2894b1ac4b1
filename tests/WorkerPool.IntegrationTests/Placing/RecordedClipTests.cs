using System.Diagnostics;
using WorkerPool.IntegrationTests.Infrastructure;
using WorkerPool.IntegrationTests.Replay;

namespace WorkerPool.IntegrationTests.Placing;

/// <summary>The clip recording documented in docs/PLACING.md, run as written against a loopback RTSP server, then replayed.</summary>
public sealed class RecordedClipTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly RtspServer _rtsp = new();

    /// <summary>The one <c>ffmpeg …</c> line of docs/PLACING.md, split into its arguments (it has no quoting).</summary>
    private static string[] DocumentedCommand()
    {
        var lines = File.ReadAllLines(Repo.Path("docs", "PLACING.md")).Where(l => l.StartsWith("ffmpeg ", StringComparison.Ordinal)).ToArray();
        string command = Assert.Single(lines);
        Assert.DoesNotContain('"', command);
        Assert.DoesNotContain('\'', command);
        return command.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task DocumentedFfmpegCommand_RecordsAClipFromTheCameraThatReplayCounts()
    {
        _rtsp.Start();
        string clip = _dir.File("clip.mp4");
        string[] documented = DocumentedCommand();
        // Only the camera's address, the length (3 s, to stay quick) and the file name change; every option stays.
        var args = documented[1..].Select(a => a.StartsWith("rtsp://", StringComparison.Ordinal) ? _rtsp.Url : a).ToArray();
        int length = Array.IndexOf(args, "-t");
        Assert.True(length > 0, "the documented command has no -t");
        args[length + 1] = "3";
        Assert.EndsWith(".mp4", args[^1], StringComparison.Ordinal);
        args[^1] = clip;

        var info = new ProcessStartInfo(documented[0]) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using (var ffmpeg = Process.Start(info)!)
        {
            ffmpeg.StandardInput.Close(); // no terminal: ffmpeg must not wait for keys
            var stderr = ffmpeg.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await ffmpeg.WaitForExitAsync(timeout.Token);
            Assert.True(ffmpeg.ExitCode == 0, $"ffmpeg exited {ffmpeg.ExitCode}: {await stderr}");
        }

        var (code, stdout, replayErr) = await HostProcess.RunAsync(TimeSpan.FromMinutes(5), "replay", "--config", Repo.DemoConfig, "--camera", "vtest",
            "--video", clip, "--annotate", _dir.File("clip.png"));
        Assert.True(code == 0, string.Join("\n", replayErr.TakeLast(20)));
        var summary = ReplaySummary.Parse(stdout[^1]);
        // The sample plays at 10 fps: about 30 frames, with people in view from the first.
        Assert.InRange(summary.Frames, 20, 40);
        Assert.True(summary.Zones["frame"].Max > 0, stdout[^1]);
        Assert.True(File.Exists(_dir.File("clip.png")));
    }

    public void Dispose()
    {
        _rtsp.Dispose();
        _dir.Dispose();
    }
}
