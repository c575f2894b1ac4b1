using System.Text;
using System.Text.Json.Nodes;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Fuzz;

/// <summary>
/// 1,200 random and mutated payloads on the config and command topics of the real service: it must answer them
/// all without crashing, keep counting, and keep its memory (RSS) about where it was.
/// </summary>
public sealed class PayloadFuzzTests : IDisposable
{
    private const int SigTerm = 15;
    private readonly TempDir _dir = new();
    private readonly MosquittoBroker _broker = new();
    private readonly Random _random = new(20261123); // fixed seed: a failure can be replayed

    private static readonly string ValidDesired = """
        {"version": 5, "config": {"counting": {"windowSeconds": 1, "lineHysteresis": 0.01},
         "tracker": {"highThreshold": 0.5}, "cameras": [{"id": "vtest", "url": "x.avi", "lines": [{"id": "mid", "from": [0.5, 0], "to": [0.5, 1]}]}]}}
        """;

    private string Mutate(string json)
    {
        var node = JsonNode.Parse(json)!;
        var containers = new List<JsonNode>();
        void Walk(JsonNode n) { containers.Add(n); foreach (var c in (n as JsonObject)?.Select(p => p.Value) ?? (n as JsonArray)?.AsEnumerable() ?? []) if (c is JsonObject or JsonArray) Walk(c!); }
        Walk(node);
        for (int i = 0; i < 1 + _random.Next(4); i++)
        {
            var target = containers[_random.Next(containers.Count)];
            JsonNode? value = _random.Next(8) switch
            {
                0 => null,
                1 => JsonValue.Create(_random.NextDouble() * 1e6 - 5e5),
                2 => JsonValue.Create(new string((char)_random.Next(32, 0x2FFF), _random.Next(0, 50))),
                3 => new JsonArray(),
                4 => new JsonObject { ["x"] = _random.Next() },
                5 => JsonValue.Create(_random.Next(2) == 0),
                6 => JsonValue.Create(long.MaxValue),
                _ => JsonValue.Create(-_random.Next(100)),
            };
            if (target is JsonObject o && o.Count > 0) o[o.ElementAt(_random.Next(o.Count)).Key] = value;
            else if (target is JsonArray a && a.Count > 0) a[_random.Next(a.Count)] = value;
        }
        return node.ToJsonString();
    }

    private byte[] Payload(int i) => (i % 6) switch
    {
        0 => [.. Enumerable.Range(0, _random.Next(1, 400)).Select(_ => (byte)_random.Next(256))],
        1 => Encoding.UTF8.GetBytes(ValidDesired[.._random.Next(1, ValidDesired.Length)]),
        2 => Encoding.UTF8.GetBytes(new string('[', 5000) + new string(']', 5000)),
        3 when i % 60 == 3 => new byte[300 * 1024], // over mqtt.maxPayloadBytes
        _ => Encoding.UTF8.GetBytes(Mutate(ValidDesired)),
    };

    [Fact]
    public async Task RandomAndMutatedPayloads_NoCrashCountingGoesOnMemoryStable()
    {
        _broker.Start();
        string config = ConfigFiles.DeriveServiceConfig(_dir, "fuzz.json", _broker.Port);
        await using var host = HostProcess.Start("run", "--config", config);
        await host.WaitForStderrAsync("MQTT connected", TimeSpan.FromSeconds(90));
        await using var fleet = new MqttProbe();
        await fleet.ConnectAsync(_broker.Port, "workerpool/demo-01/config/reported");
        const string root = "workerpool/demo-01/";
        long rssBefore = (await StatsAsync(fleet)).GetProperty("system").GetProperty("processRssBytes").GetInt64();

        string[] commands = ["ping", "get-config", "get-stats", "restart-camera", "flush-outbox", "get-logs", "nope", "", "../x"];
        for (int i = 0; i < 1200; i++)
        {
            byte[] payload = Payload(i);
            string topic = i % 2 == 0 ? root + "config/desired" : root + "cmd/" + commands[_random.Next(commands.Length)];
            await fleet.PublishAsync(topic, payload, retain: false);
        }

        // Every config message got an answer, and the service still serves and counts.
        await fleet.WaitForAsync(m => m.Length >= 600, TimeSpan.FromSeconds(120), "600 config answers");
        var stats = await StatsAsync(fleet);
        long rssAfter = stats.GetProperty("system").GetProperty("processRssBytes").GetInt64();
        Assert.True(rssAfter - rssBefore < 150L * 1024 * 1024, $"RSS grew from {rssBefore >> 20} MiB to {rssAfter >> 20} MiB");
        int stored = host.Count("Stored count record");
        Assert.True(await host.WaitForCountAsync("Stored count record", stored + 1, TimeSpan.FromSeconds(30)) > stored, "counting stopped");
        Assert.False(host.HasExited);
        Assert.DoesNotContain(host.Stderr, l => l.Contains("Unhandled exception", StringComparison.Ordinal) || l.Contains("crit:", StringComparison.Ordinal));

        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    /// <summary>get-stats, retried while the command rate limit refills.</summary>
    private static async Task<System.Text.Json.JsonElement> StatsAsync(MqttProbe fleet)
    {
        for (int attempt = 0; attempt < 40; attempt++)
        {
            var reply = await fleet.RequestAsync("workerpool/demo-01/cmd/get-stats", "{}", TimeSpan.FromSeconds(20));
            if (reply.GetProperty("ok").GetBoolean()) return reply.GetProperty("result");
            await Task.Delay(500);
        }
        throw new TimeoutException("get-stats never answered ok");
    }

    public void Dispose()
    {
        _broker.Dispose();
        _dir.Dispose();
    }
}
