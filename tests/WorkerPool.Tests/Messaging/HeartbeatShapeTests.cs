using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using WorkerPool.Capture;
using WorkerPool.Commands;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Control;
using WorkerPool.Contracts;
using WorkerPool.Counting;
using WorkerPool.Diagnostics;
using WorkerPool.Health;
using WorkerPool.Inference;
using WorkerPool.Messaging;
using WorkerPool.Software;
using WorkerPool.Outbox;
using WorkerPool.Pipeline;
using WorkerPool.RemoteConfig;
using WorkerPool.Tests.Control;
using WorkerPool.Tests.Outbox;

namespace WorkerPool.Tests.Messaging;

/// <summary>
/// The heartbeat's JSON, property by property and in order, for a device in a known state: fleet dashboards and
/// docs/schemas/heartbeat.schema.json read it, so its shape must not change when the code that assembles it does.
/// Assembled through the host's own wiring, so a feature whose section is not registered fails here too.
/// </summary>
public sealed partial class HeartbeatShapeTests : IAsyncDisposable
{
    // One line when joined: broken after commas only, so it reads part by part.
    private static readonly string Expected = """
        {"deviceId":"dev-1","time":"2026-11-22T12:00:03+00:00","version":"1.2.3","configVersion":"4:abcdef012345","bootTime":"2026-11-22T12:00:00+00:00","uptimeSeconds":3,
        "system":{"load1":0.42,"cpuCount":CPUS,"processRssBytes":RSS,"diskFreeBytes":DISK,"temperatures":[{"zone":"thermal_zone0","type":"cpu-thermal","celsius":51.5}]},
        "cameras":[{"id":"door","state":"connected","measuredFps":9.96,"targetFps":5,"framesRead":100,"framesAdmitted":50,"framesSkipped":49,"framesLost":1,
        "framesProcessed":48,"lastDetectionAt":"2026-11-22T11:59:58+00:00","frozenSeconds":0,"pictureUniform":false},
        {"id":"yard","state":"reconnecting","lastError":"timeout","measuredFps":0,"targetFps":2.5,"framesRead":7,"framesAdmitted":3,"framesSkipped":4,"framesLost":0,
        "framesProcessed":3,"lastDetectionAt":null,"frozenSeconds":null,"pictureUniform":null}],
        "workers":[{"index":0,"device":"cuda","activeDevice":"cpu","fallbackReason":"no CUDA provider","cores":"0-1","state":"running","busyFraction":0.123,"processed":10,"failed":1,"replacements":2,"latencyP50Ms":12.35,"latencyP99Ms":20.55},
        {"index":1,"device":"cpu","activeDevice":"cpu","cores":"2-3","state":"idle","busyFraction":0,"processed":0,"failed":0,"replacements":0,"latencyP50Ms":0,"latencyP99Ms":0}],
        "poolQueueDepth":3,
        "outbox":{"backlog":1,"oldestAgeSeconds":3,"bytes":BYTES,"droppedByRetention":0,"pendingInMemory":0,"lostUnstored":0},
        "lastPublishAt":null,
        "health":{"state":"starting","reason":"starting"},
        "thermal":{"celsius":51.5,"zone":"thermal_zone0 cpu-thermal","throttleCelsius":80,"level":0,"samplingPercent":100},
        "clock":{"synchronized":false},
        "security":{"verified":true},
        "timeZone":"Europe/Berlin","heartbeatSeconds":30,"group":"north","tags":["stores","jetson"],
        "software":{"state":"idle","version":null,"running":"1.2.3+test","rollout":null,"reason":null,"time":null}}
        """.ReplaceLineEndings("");

    private readonly OutboxTestFiles _files = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _services;

    /// <summary>The device as <c>run</c> wires it, every feature's <c>Add…()</c> in the host's order, with the host's readings faked.</summary>
    public HeartbeatShapeTests()
    {
        _time.SetLocalTimeZone(TimeZoneInfo.CreateCustomTimeZone("Europe/Berlin", TimeSpan.FromHours(1), "Berlin", "CET"));
        var config = new DeviceConfig { DeviceId = "dev-1", Security = new SecurityOptions { FleetPublicKey = "-----BEGIN PUBLIC KEY-----" } };
        config.Outbox.Path = _files.DbPath;
        config.Thermal.ThrottleCelsius = 80;
        config.Fleet = new FleetOptions { Group = "north", Tags = ["stores", "jetson"] };
        string thermal = Path.Combine(_files.Dir, "thermal"), proc = Path.Combine(_files.Dir, "proc");
        FakeThermalZones.Write(thermal, "thermal_zone0", "cpu-thermal", 51.5);
        Directory.CreateDirectory(proc);
        File.WriteAllText(Path.Combine(proc, "loadavg"), "0.42 0.30 0.20 1/100 1234\n");
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(_time)
            .AddSingleton(new BuildInfo("1.2.3", "1.2.3+test"))
            .AddSingleton<IHostClock>(new FixedHostClock(synchronized: false))
            .AddDeviceConfig(config)
            .AddOutbox()
            .AddMessaging(enabled: false)
            .AddRemoteConfig(new DesiredConfigProcessor(config, Path.Combine(_files.Dir, "remote-config.json"), config.Mqtt.MaxPayloadBytes))
            .AddCommands()
            .AddSoftwareUpdates()
            .AddDeviceControl()
            .AddHealth();
        // What the machine would say: a pipeline in a known state, a fake /proc and /sys, a fixed config version.
        services.AddSingleton<IDeviceControl>(new FakeDeviceControl(config)
        {
            Current = new PipelineStatus(true, false,
            [
                new CameraView(new CameraStatus("door", CameraState.Connected, null, 100, 50, 49, 1, 9.96, 640, 480)
                {
                    FramesProcessed = 48, LastDetectionAt = new DateTimeOffset(2026, 11, 22, 11, 59, 58, TimeSpan.Zero), FrozenSeconds = 0, PictureUniform = false,
                }, 5, new CountTotals(50, 1, [], [])),
                new CameraView(new CameraStatus("yard", CameraState.Reconnecting, "timeout", 7, 3, 4, 0, 0, 0, 0) { FramesProcessed = 3 }, 2.5, new CountTotals(3, 0, [], [])),
            ],
            [
                new WorkerStatus(0, "cuda", "cpu", "no CUDA provider", "0-1", "0-1", "running", new WorkerSnapshot(10, 1, 2, 0.12345, 12.346, 20.554)),
                new WorkerStatus(1, "cpu", "cpu", null, "2-3", null, "idle", new WorkerSnapshot(0, 0, 0, 0, 0, 0)),
            ], 3),
        });
        services.AddSingleton(new SystemMetrics(thermal, proc));
        services.AddSingleton<IConfigVersion>(new FixedConfigVersion("4:abcdef012345"));
        _services = services.BuildServiceProvider();

        _ = _services.GetRequiredService<MqttConnection>(); // boots now: uptime counts from here
        _services.GetRequiredService<CountOutbox>().Append(new CountRecord { DeviceId = "dev-1", CameraId = "door" });
        _services.GetRequiredService<ThermalGovernor>().Step(_services.GetRequiredService<SystemMetrics>().Temperatures());
        _time.Advance(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public void Heartbeat_ForAKnownDevice_SerializesToTheDocumentedShape()
    {
        var heartbeat = _services.GetRequiredService<HeartbeatAssembler>().Assemble();

        AssertShape(JsonSerializer.Serialize(heartbeat, ContractJsonContext.Default.HeartbeatPayload));
    }

    [Fact]
    public async Task GetStats_AnswersWithTheSameHeartbeat()
    {
        var handler = _services.GetServices<ICommandHandler>().Single(h => h.Name == "get-stats");

        var answer = await handler.RunAsync([]);

        // The same text once JSON escaping is set aside (the command answer escapes '+' in times).
        AssertShape(answer!.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
    }

    private void AssertShape(string json)
    {
        // Host figures vary by machine: each is checked to be a number, then compared by name and place.
        var system = JsonDocument.Parse(json).RootElement.GetProperty("system");
        Assert.Equal(Environment.ProcessorCount, system.GetProperty("cpuCount").GetInt32());
        Assert.True(system.GetProperty("processRssBytes").GetInt64() > 0);
        Assert.Equal(JsonValueKind.Number, system.GetProperty("diskFreeBytes").ValueKind);
        long bytes = _services.GetRequiredService<CountOutbox>().Stats().Bytes;
        // The same JSON either way: System.Text.Json's default encoder writes '+' as \u002B, a JsonNode's does not.
        string normalized = HostFigures().Replace(json, m => $"\"{m.Groups[1].Value}\":{Placeholder(m.Groups[1].Value)}").Replace("\\u002B", "+", StringComparison.Ordinal);
        Assert.Equal(Expected.Replace("BYTES", bytes.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal), normalized);
    }

    private static string Placeholder(string name) => name switch
    {
        "cpuCount" => "CPUS",
        "processRssBytes" => "RSS",
        _ => "DISK",
    };

    [GeneratedRegex("\"(cpuCount|processRssBytes|diskFreeBytes)\":(-?\\d+|null)")]
    private static partial Regex HostFigures();

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        _files.Dispose();
    }

    private sealed class FixedConfigVersion(string version) : IConfigVersion
    {
        public string ConfigVersion => version;
    }
}
