using System.Text.Json.Nodes;
using WorkerPool.IntegrationTests.Infrastructure;
using WorkerPool.IntegrationTests.Soak;

namespace WorkerPool.IntegrationTests.Control;

/// <summary>
/// A retained desired config waiting on the broker at boot reaches the device while its start-up models load. It must
/// be applied after the start-up pipeline is up, never beside it: one reader per camera, and every camera counts.
/// </summary>
public sealed class BootTests : IAsyncDisposable
{
    private const string Desired = "workerpool/demo-01/config/desired", Reported = "workerpool/demo-01/config/reported";
    private readonly TempDir _dir = new();
    private readonly MosquittoBroker _broker = new();
    private readonly RtspServer _rtsp = new();
    private readonly MqttProbe _fleet = new();

    private async Task<HostProcess> BootWithRetainedAsync(Action<JsonObject> editConfig, Func<JsonObject> desiredPatch)
    {
        _broker.Start();
        _rtsp.Start();
        string config = ConfigFiles.DeriveServiceConfig(_dir, "boot.json", _broker.Port, c =>
        {
            c["counting"]!["windowSeconds"] = 2;
            editConfig(c);
        });
        await _fleet.ConnectAsync(_broker.Port, "workerpool/demo-01/#");
        await _fleet.PublishAsync(Desired, new JsonObject { ["version"] = 1, ["config"] = desiredPatch() }.ToJsonString(), retain: true);
        var host = HostProcess.Start("run", "--config", config);
        var reported = await _fleet.WaitForAsync(m => m.Any(x => x.Topic == Reported), TimeSpan.FromSeconds(90), "the report of the retained config");
        Assert.Equal("applied", reported.First(x => x.Topic == Reported).Json.GetProperty("status").GetString());
        return host;
    }

    private static JsonObject RtspCamera(JsonObject demoCamera, string id, string url)
    {
        var camera = demoCamera.DeepClone().AsObject();
        camera["id"] = id;
        camera["url"] = url;
        camera.Remove("loop");
        return camera;
    }

    /// <summary>Three windows in a row, each closed after <paramref name="after"/>, in which the camera processed frames.</summary>
    private async Task ExpectCountingAsync(string camera, DateTime after)
    {
        string topic = "workerpool/demo-01/counts/" + camera;
        bool Counting(Received[] m) => m.Where(x => x.Topic == topic && x.Json.GetProperty("windowEnd").GetDateTime().ToUniversalTime() > after)
            .TakeLast(3).Count(x => x.Json.GetProperty("framesProcessed").GetInt64() > 0) == 3;
        await _fleet.WaitForAsync(Counting, TimeSpan.FromSeconds(60), $"three windows of {camera} with frames processed");
    }

    /// <summary>FFmpeg children of the service, the same over several looks a second apart.</summary>
    private static async Task<int> SteadyFfmpegChildrenAsync(HostProcess host)
    {
        int seen = SoakRun.FfmpegChildren(host.Pid);
        for (int look = 0; look < 3; look++)
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal(seen, SoakRun.FfmpegChildren(host.Pid));
        }
        return seen;
    }

    [Fact]
    public async Task RetainedConfigThatAddsACamera_IsAppliedAfterStart_OneReaderPerCamera_BothCount()
    {
        JsonObject demo = null!;
        await using var host = await BootWithRetainedAsync(
            c =>
            {
                demo = c["cameras"]![0]!.AsObject();
                c["cameras"] = new JsonArray(RtspCamera(demo, "rtsp", _rtsp.Url));
            },
            () => new JsonObject { ["cameras"] = new JsonArray(RtspCamera(demo, "rtsp", _rtsp.Url), demo.DeepClone()) });
        var applied = DateTime.UtcNow;

        await ExpectCountingAsync("rtsp", applied);
        await ExpectCountingAsync("vtest", applied);
        Assert.Equal(1, await SteadyFfmpegChildrenAsync(host));
    }

    [Fact]
    public async Task RetainedConfigThatChangesASource_IsAppliedAfterStart_OneReader_AndTheCameraCounts()
    {
        JsonObject demo = null!;
        await using var host = await BootWithRetainedAsync(
            c => demo = c["cameras"]![0]!.AsObject(),
            () => new JsonObject { ["cameras"] = new JsonArray(RtspCamera(demo, "vtest", _rtsp.Url)) });
        var applied = DateTime.UtcNow;

        await ExpectCountingAsync("vtest", applied);
        Assert.Equal(1, await SteadyFfmpegChildrenAsync(host));
    }

    public async ValueTask DisposeAsync()
    {
        await _fleet.DisposeAsync();
        _rtsp.Dispose();
        _broker.Dispose();
        _dir.Dispose();
    }
}
