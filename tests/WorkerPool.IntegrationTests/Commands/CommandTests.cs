using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Commands;

/// <summary>Commands with MQTT 5 request/response against the real service over a real Mosquitto.</summary>
public sealed class CommandTests : IDisposable
{
    private const int SigTerm = 15;
    private readonly TempDir _dir = new();
    private readonly MosquittoBroker _broker = new();

    [Fact]
    public async Task Commands_EachAnswersAndBadOnesGetAnErrorReply()
    {
        _broker.Start();
        string config = ConfigFiles.DeriveServiceConfig(_dir, "cmd.json", _broker.Port);
        await using var host = HostProcess.Start("run", "--config", config);
        await host.WaitForStderrAsync("MQTT connected", TimeSpan.FromSeconds(90));
        await using var operatorClient = new MqttProbe();
        await operatorClient.ConnectAsync(_broker.Port, "unused/#");
        var timeout = TimeSpan.FromSeconds(20);
        const string cmd = "workerpool/demo-01/cmd/";

        var ping = await operatorClient.RequestAsync(cmd + "ping", "", timeout);
        Assert.True(ping.GetProperty("ok").GetBoolean());
        Assert.True(ping.GetProperty("result").GetProperty("pong").GetBoolean());

        var configReply = await operatorClient.RequestAsync(cmd + "get-config", "{}", timeout);
        Assert.Equal("demo-01", configReply.GetProperty("result").GetProperty("deviceId").GetString());

        await host.WaitForStderrAsync("Stored count record", TimeSpan.FromSeconds(30));
        var stats = await operatorClient.RequestAsync(cmd + "get-stats", "{}", timeout);
        var workers = stats.GetProperty("result").GetProperty("workers");
        Assert.Equal(2, workers.GetArrayLength());
        Assert.True(workers[0].GetProperty("latencyP99Ms").GetDouble() > 0);

        var flush = await operatorClient.RequestAsync(cmd + "flush-outbox", "{}", timeout);
        Assert.Equal(0, flush.GetProperty("result").GetProperty("backlog").GetInt64());

        var snapshot = await operatorClient.RequestAsync(cmd + "snapshot", """{"camera": "vtest"}""", timeout);
        Assert.True(snapshot.GetProperty("ok").GetBoolean(), snapshot.ToString());
        byte[] jpeg = Convert.FromBase64String(snapshot.GetProperty("result").GetProperty("jpeg").GetString()!);
        Assert.InRange(jpeg.Length, 1000, 192 * 1024);
        using (var picture = OpenCvSharp.Cv2.ImDecode(jpeg, OpenCvSharp.ImreadModes.Color))
            Assert.Equal((snapshot.GetProperty("result").GetProperty("width").GetInt32(), snapshot.GetProperty("result").GetProperty("height").GetInt32()), (picture.Width, picture.Height));
        var noSnapshot = await operatorClient.RequestAsync(cmd + "snapshot", """{"camera": "nope"}""", timeout);
        Assert.False(noSnapshot.GetProperty("ok").GetBoolean());

        var restart = await operatorClient.RequestAsync(cmd + "restart-camera", """{"camera": "vtest"}""", timeout);
        Assert.True(restart.GetProperty("ok").GetBoolean());
        await host.WaitForStderrAsync("Camera vtest connected", timeout);
        Assert.Equal(2, await host.WaitForCountAsync("Camera vtest connected", 2, TimeSpan.FromSeconds(20)));

        var noCamera = await operatorClient.RequestAsync(cmd + "restart-camera", """{"camera": "nope"}""", timeout);
        Assert.False(noCamera.GetProperty("ok").GetBoolean());
        Assert.Contains("no camera 'nope'", noCamera.GetProperty("error").GetString(), StringComparison.Ordinal);

        var unknown = await operatorClient.RequestAsync(cmd + "format-disk", "{}", timeout);
        Assert.Contains("unknown command 'format-disk'", unknown.GetProperty("error").GetString(), StringComparison.Ordinal);

        var malformed = await operatorClient.RequestAsync(cmd + "ping", "{ nope", timeout);
        Assert.Contains("malformed request", malformed.GetProperty("error").GetString(), StringComparison.Ordinal);

        // A burst is cut off by the rate limit, with an error reply rather than silence.
        var burst = await Task.WhenAll(Enumerable.Range(0, 25).Select(_ => operatorClient.RequestAsync(cmd + "ping", "", timeout)));
        Assert.Contains(burst, r => r.TryGetProperty("error", out var e) && e.GetString()!.StartsWith("rate limited", StringComparison.Ordinal));

        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task Resend_PublishesArchivedRecordsAgainWithTheirOwnMessageIdsAndPayloads()
    {
        _broker.Start();
        await using var watcher = new MqttProbe();
        await watcher.ConnectAsync(_broker.Port, "workerpool/demo-01/counts/#");
        string config = ConfigFiles.DeriveServiceConfig(_dir, "resend.json", _broker.Port);
        await using var host = HostProcess.Start("run", "--config", config);
        await watcher.WaitForAsync(m => m.Any(r => r.UserProperties["seq"] == "3"), TimeSpan.FromSeconds(120), "count record seq 3");
        await using var operatorClient = new MqttProbe();
        await operatorClient.ConnectAsync(_broker.Port, "unused/#");
        const string resend = "workerpool/demo-01/cmd/resend";

        // Archived once the publisher has taken its acknowledgements: ask until both are there (bounded).
        System.Text.Json.JsonElement reply = default;
        for (int attempt = 0; attempt < 30; attempt++)
        {
            reply = await operatorClient.RequestAsync(resend, """{"camera": "vtest", "fromSeq": 1, "toSeq": 2}""", TimeSpan.FromSeconds(20));
            if (reply.GetProperty("ok").GetBoolean() && reply.GetProperty("result").GetProperty("resent").GetInt32() == 2) break;
            await Task.Delay(1000);
        }
        Assert.Equal("""{"resent":2,"missing":[]}""", reply.GetProperty("result").GetRawText());
        var got = await watcher.WaitForAsync(m => m.Count(r => r.UserProperties["seq"] is "1" or "2") >= 4, TimeSpan.FromSeconds(20), "seqs 1 and 2 twice");
        foreach (var seq in new[] { "1", "2" })
        {
            var copies = got.Where(r => r.UserProperties["seq"] == seq).ToArray();
            Assert.Equal(2, copies.Length);
            Assert.Equal(copies[0].Payload, copies[1].Payload);
            Assert.Equal(copies[0].UserProperties["messageId"], copies[1].UserProperties["messageId"]);
            Assert.Equal("workerpool/demo-01/counts/vtest", copies[1].Topic);
        }

        var tooMany = await operatorClient.RequestAsync(resend, """{"camera": "vtest", "fromSeq": 1, "toSeq": 501}""", TimeSpan.FromSeconds(20));
        Assert.Contains("at most 500 records per resend", tooMany.GetProperty("error").GetString(), StringComparison.Ordinal);

        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task GetLogs_AnswersTheServicesOwnLogTail_WithItsStartUpLines()
    {
        _broker.Start();
        string config = ConfigFiles.DeriveServiceConfig(_dir, "logs.json", _broker.Port);
        await using var host = HostProcess.Start("run", "--config", config);
        await host.WaitForStderrAsync("First frame counted", TimeSpan.FromSeconds(120));
        await using var operatorClient = new MqttProbe();
        await operatorClient.ConnectAsync(_broker.Port, "unused/#");
        const string getLogs = "workerpool/demo-01/cmd/get-logs";
        var timeout = TimeSpan.FromSeconds(20);

        var reply = await operatorClient.RequestAsync(getLogs, """{"lines": 500}""", timeout);
        Assert.True(reply.GetProperty("ok").GetBoolean(), reply.ToString());
        var result = reply.GetProperty("result");
        string[] lines = [.. result.GetProperty("lines").EnumerateArray().Select(l => l.GetString()!)];
        Assert.Contains(lines, l => l.Contains(" info: WorkerPool.Mqtt[5000] MQTT connected to", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("First frame counted (camera vtest)", StringComparison.Ordinal));
        Assert.Equal(0, result.GetProperty("dropped").GetInt32());
        var since = DateTimeOffset.Parse(result.GetProperty("since").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(since, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow);

        var warnings = await operatorClient.RequestAsync(getLogs, """{"minLevel": "warning"}""", timeout);
        Assert.DoesNotContain(warnings.GetProperty("result").GetProperty("lines").EnumerateArray(), l => l.GetString()!.Contains(" info: ", StringComparison.Ordinal));

        var tooMany = await operatorClient.RequestAsync(getLogs, """{"lines": 501}""", timeout);
        Assert.Contains("lines must be 1 to 500", tooMany.GetProperty("error").GetString(), StringComparison.Ordinal);

        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    public void Dispose()
    {
        _broker.Dispose();
        _dir.Dispose();
    }
}
