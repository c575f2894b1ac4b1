using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.RemoteConfig;

/// <summary>The retained <c>config/reported</c> says what is applied, whatever arrives on <c>config/desired</c> afterwards.</summary>
public sealed class RetainedReportTests : IDisposable
{
    private const string Desired = "workerpool/demo-01/config/desired", Reported = "workerpool/demo-01/config/reported";
    private const string V1 = """{"version": 1, "config": {"counting": {"windowSeconds": 2}}}""";
    private readonly TempDir _dir = new();
    private readonly MosquittoBroker _broker = new();

    /// <summary>What a dashboard that subscribes now reads: the retained report.</summary>
    private async Task<Received> RetainedReportAsync()
    {
        await using var late = new MqttProbe();
        await late.ConnectAsync(_broker.Port, Reported);
        var seen = await late.WaitForAsync(m => m.Length > 0, TimeSpan.FromSeconds(10), "the retained report");
        Assert.True(seen[0].Retained);
        return seen[0];
    }

    [Fact]
    public async Task RedeliveredDesiredConfigAndGarbage_AreAnsweredLive_TheRetainedReportStillSaysApplied()
    {
        _broker.Start();
        string config = ConfigFiles.DeriveServiceConfig(_dir, "report.json", _broker.Port);
        await using var fleet = new MqttProbe();
        await fleet.ConnectAsync(_broker.Port, Reported);
        await using var host = HostProcess.Start("run", "--config", config);
        await host.WaitForStderrAsync("MQTT connected", TimeSpan.FromSeconds(90));

        await fleet.PublishAsync(Desired, V1, retain: true);
        await fleet.WaitForAsync(m => m.Any(x => x.Json.GetProperty("status").GetString() == "applied"), TimeSpan.FromSeconds(30), "v1 applied");

        // What the broker does at every reconnect: the retained desired config, delivered again.
        await fleet.PublishAsync(Desired, V1, retain: true);
        await fleet.WaitForAsync(m => m.Any(x => x.Json.GetProperty("status").GetString() == "ignored"), TimeSpan.FromSeconds(30), "the redelivery answered");
        var afterRedelivery = (await RetainedReportAsync()).Json;
        Assert.Equal(("applied", 1L), (afterRedelivery.GetProperty("status").GetString(), afterRedelivery.GetProperty("version").GetInt64()));

        await fleet.PublishAsync(Desired, "{ not json", retain: false);
        await fleet.WaitForAsync(m => m.Any(x => x.Json.GetProperty("status").GetString() == "rejected"), TimeSpan.FromSeconds(30), "the garbage answered");
        var afterGarbage = (await RetainedReportAsync()).Json;
        Assert.Equal(("applied", 1L), (afterGarbage.GetProperty("status").GetString(), afterGarbage.GetProperty("version").GetInt64()));
    }

    public void Dispose()
    {
        _broker.Dispose();
        _dir.Dispose();
    }
}
