using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Messaging;

/// <summary>The real service as a child process against a real Mosquitto: crashes, last will, corrupt outbox.</summary>
public sealed partial class ServiceProcessTests : IDisposable
{
    private const int SigKill = 9, SigTerm = 15;
    private readonly TempDir _dir = new();
    private readonly MosquittoBroker _broker = new();

    private string Config(Action<JsonObject>? edit = null) => ConfigFiles.DeriveServiceConfig(_dir, "service.json", _broker.Port, c =>
    {
        c["mqtt"]!["keepAliveSeconds"] = 2;
        c["mqtt"]!["heartbeatSeconds"] = 1;
        c["mqtt"]!["maxBackoffSeconds"] = 1;
        edit?.Invoke(c);
    });

    [GeneratedRegex(@"Stored count record vtest seq (\d+)")]
    private static partial Regex Stored();

    private static long LastStored(HostProcess host) =>
        host.Stderr.Select(l => Stored().Match(l)).Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();

    private static async Task WaitStoredAsync(HostProcess host, long seq)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (LastStored(host) < seq)
        {
            if (DateTime.UtcNow > deadline || host.HasExited) throw new TimeoutException($"seq {seq} not stored:\n{host.Tail()}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Kill9WhileBrokerDown_NothingStoredIsLostAndSeqContinuesWithoutGapOrReuse()
    {
        // The probe's persistent session exists before the outage, so the broker queues for it whatever comes later.
        _broker.Start();
        await using var probe = new MqttProbe();
        await probe.ConnectAsync(_broker.Port, "workerpool/demo-01/counts/#");
        await probe.DisconnectAsync();
        _broker.Stop();
        string config = Config();

        long beforeKill;
        await using (var first = HostProcess.Start("run", "--config", config))
        {
            await WaitStoredAsync(first, 3);
            first.Signal(SigKill);
            await first.WaitForExitAsync(TimeSpan.FromSeconds(30));
            beforeKill = LastStored(first);
        }
        await using var second = HostProcess.Start("run", "--config", config);
        await WaitStoredAsync(second, beforeKill + 2);
        Assert.Equal(beforeKill + 1, second.Stderr.Select(l => Stored().Match(l)).First(m => m.Success).Groups[1].Value is var s ? long.Parse(s, System.Globalization.CultureInfo.InvariantCulture) : 0);

        _broker.Start();
        await probe.ConnectAsync(_broker.Port, "workerpool/demo-01/counts/#");
        long target = beforeKill + 2;
        var got = await probe.WaitForAsync(m => m.Select(x => x.Json.GetProperty("seq").GetInt64()).Distinct().Count(q => q <= target) >= target,
            TimeSpan.FromSeconds(60), $"seq 1..{target}");

        var seqs = got.DistinctBy(m => m.UserProperties["messageId"]).Select(m => m.Json.GetProperty("seq").GetInt64()).ToArray();
        Assert.Equal(Enumerable.Range(1, seqs.Length).Select(i => (long)i), seqs); // in order, no gap, no reuse
        Assert.True(seqs.Length >= target);
        second.Signal(SigTerm);
        Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Kill9WhileConnected_LastWillSetsRetainedStatusOfflineWithinKeepAlive()
    {
        _broker.Start();
        await using var host = HostProcess.Start("run", "--config", Config());
        await using var watcher = new MqttProbe();
        await watcher.ConnectAsync(_broker.Port, "workerpool/demo-01/status");
        await watcher.WaitForAsync(m => m.Any(x => x.Json.GetProperty("state").GetString() == "online"), TimeSpan.FromSeconds(90), "online status");

        host.Signal(SigKill);
        var killedAt = DateTime.UtcNow;
        await host.WaitForExitAsync(TimeSpan.FromSeconds(30));
        await watcher.WaitForAsync(m => m.Any(x => x.Json.GetProperty("state").GetString() == "offline"), TimeSpan.FromSeconds(10), "offline will");
        Assert.True(DateTime.UtcNow - killedAt < TimeSpan.FromSeconds(2 * 1.5 + 3));

        // A dashboard that connects later still reads "offline" (retained).
        await using var late = new MqttProbe();
        await late.ConnectAsync(_broker.Port, "workerpool/demo-01/status");
        var retained = await late.WaitForAsync(m => m.Length > 0, TimeSpan.FromSeconds(10), "retained status");
        Assert.True(retained[0].Retained);
        Assert.Empty(SchemaCheck.Validate("status.schema.json", retained[0].Json));
        Assert.Equal("offline", retained[0].Json.GetProperty("state").GetString());
        Assert.Equal("lost", retained[0].Json.GetProperty("reason").GetString());
        // Made at connect time: it names that moment, not a time of its own.
        Assert.False(retained[0].Json.TryGetProperty("time", out _));
        Assert.True(retained[0].Json.GetProperty("connectedAt").GetDateTimeOffset() < killedAt);
        Assert.Equal(TimeZoneInfo.Local.Id, retained[0].Json.GetProperty("timeZone").GetString());
    }

    [Fact]
    public async Task HeartbeatAndCleanShutdown_ReportHealthThenRetainedOffline()
    {
        _broker.Start();
        await using var watcher = new MqttProbe();
        await watcher.ConnectAsync(_broker.Port, "workerpool/demo-01/#");
        await using var host = HostProcess.Start("run", "--config", Config());
        // The sample video has people walking in every stretch of it, and never stands still.
        var got = await watcher.WaitForAsync(m => m.Count(x => x.Topic.EndsWith("/heartbeat", StringComparison.Ordinal)) >= 2
            && m.Any(x => x.Topic.EndsWith("/heartbeat", StringComparison.Ordinal) && x.Json.GetProperty("cameras")[0] is var c
                && c.GetProperty("framesRead").GetInt64() > 0 && c.GetProperty("lastDetectionAt").ValueKind == JsonValueKind.String
                && c.GetProperty("frozenSeconds").ValueKind == JsonValueKind.Number),
            TimeSpan.FromSeconds(90), "heartbeats");
        var hb = got.Last(x => x.Topic.EndsWith("/heartbeat", StringComparison.Ordinal)).Json;
        Assert.Equal("demo-01", hb.GetProperty("deviceId").GetString());
        Assert.Equal(1, hb.GetProperty("heartbeatSeconds").GetInt32());
        Assert.Equal(TimeZoneInfo.Local.Id, hb.GetProperty("timeZone").GetString());
        var camera = hb.GetProperty("cameras")[0];
        Assert.True(camera.GetProperty("framesProcessed").GetInt64() > 0);
        Assert.True(camera.GetProperty("lastDetectionAt").GetDateTimeOffset() <= hb.GetProperty("time").GetDateTimeOffset());
        Assert.True(camera.GetProperty("frozenSeconds").GetDouble() < 5);
        Assert.False(camera.GetProperty("pictureUniform").GetBoolean());
        Assert.Equal(2, hb.GetProperty("workers").GetArrayLength());
        Assert.True(hb.GetProperty("system").GetProperty("processRssBytes").GetInt64() > 0);
        Assert.True(hb.GetProperty("outbox").TryGetProperty("backlog", out _));
        Assert.False(hb.GetProperty("outbox").TryGetProperty("quarantined", out _));

        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        // The host got its PUBACK before it exited; the broker's copy to the watcher may still be on its way.
        await watcher.WaitForAsync(m => m.LastOrDefault(x => x.Topic.EndsWith("/status", StringComparison.Ordinal))?.Json.GetProperty("state").GetString() == "offline",
            TimeSpan.FromSeconds(10), "offline status");
        var status = watcher.Messages.Last(x => x.Topic.EndsWith("/status", StringComparison.Ordinal)).Json;
        Assert.Equal("offline", status.GetProperty("state").GetString());
        Assert.Equal("shutdown", status.GetProperty("reason").GetString());

        // Every payload matches the schema published in docs/schemas.
        foreach (var m in watcher.Messages)
        {
            string schema = m.Topic.Contains("/counts/", StringComparison.Ordinal) ? "count-record.schema.json"
                : m.Topic.EndsWith("/status", StringComparison.Ordinal) ? "status.schema.json"
                : m.Topic.EndsWith("/software", StringComparison.Ordinal) ? "software.schema.json" : "heartbeat.schema.json";
            Assert.Empty(SchemaCheck.Validate(schema, m.Json));
        }
        Assert.Contains(watcher.Messages, m => m.Topic.Contains("/counts/", StringComparison.Ordinal));
        // The retained software state goes out at connect: idle, on a device never given a rollout.
        Assert.Contains(watcher.Messages, m => m.Topic.EndsWith("/software", StringComparison.Ordinal) && m.Json.GetProperty("state").GetString() == "idle");
    }

    [Fact]
    public async Task CorruptOutboxAtStart_IsMovedAsideServiceRunsAndHeartbeatReportsIt()
    {
        _broker.Start();
        File.WriteAllBytes(_dir.File("outbox.db"), [.. Enumerable.Range(0, 20_000).Select(i => (byte)(i * 13 % 256))]);
        await using var watcher = new MqttProbe();
        await watcher.ConnectAsync(_broker.Port, "workerpool/demo-01/#");
        await using var host = HostProcess.Start("run", "--config", Config());

        await host.WaitForStderrAsync("could not be opened and was moved to", TimeSpan.FromSeconds(90));
        var got = await watcher.WaitForAsync(m => m.Any(x => x.Topic.EndsWith("/counts/vtest", StringComparison.Ordinal))
            && m.Any(x => x.Topic.EndsWith("/heartbeat", StringComparison.Ordinal)), TimeSpan.FromSeconds(90), "counts and heartbeat");
        var hb = got.First(x => x.Topic.EndsWith("/heartbeat", StringComparison.Ordinal)).Json;
        Assert.Contains(".corrupt-", hb.GetProperty("outbox").GetProperty("quarantined").GetString(), StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(_dir.Path, "outbox.db.corrupt-*"));
    }

    public void Dispose()
    {
        _broker.Dispose();
        _dir.Dispose();
    }
}
