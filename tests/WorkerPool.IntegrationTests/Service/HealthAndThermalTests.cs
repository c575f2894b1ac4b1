using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using WorkerPool.Health;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Service;

/// <summary>The real service: systemd watchdog pings over a notify socket, the health file, thermal throttling seen in heartbeats.</summary>
public sealed class HealthAndThermalTests : IDisposable
{
    private const int SigTerm = 15;
    private readonly TempDir _dir = new();
    private readonly MosquittoBroker _broker = new();

    public void Dispose()
    {
        _broker.Dispose();
        _dir.Dispose();
    }

    private void Temperature(double celsius) => FakeThermalZones.Write(Path.Combine(_dir.Path, "thermal"), "thermal_zone0", "CPU-therm", celsius);

    [Fact]
    public async Task HotSoc_LowersCameraSamplingStepwise_ReportsItInTheHeartbeat_AndRestoresWhenCool_GpuFallbackReportedToo()
    {
        _broker.Start();
        Temperature(91);
        string config = ConfigFiles.DeriveServiceConfig(_dir, "thermal.json", _broker.Port, c =>
        {
            c["cameras"]![0]!["fps"] = 8;
            c["mqtt"]!["heartbeatSeconds"] = 1;
            // A GPU worker on this CPU-only ONNX Runtime: it must run on the CPU and the heartbeat must say why.
            c["pool"]!["workers"]![0]!["device"] = "tensorrt:0";
            c["thermal"] = new System.Text.Json.Nodes.JsonObject
            {
                ["throttleCelsius"] = 85, ["resumeCelsius"] = 75, ["stepPercent"] = 25, ["minPercent"] = 50,
                // Each level lasts three seconds: a few heartbeats see it.
                ["pollSeconds"] = 1, ["holdSeconds"] = 3, ["sysfsRoot"] = Path.Combine(_dir.Path, "thermal"),
            };
        });
        await using var probe = new MqttProbe();
        await probe.ConnectAsync(_broker.Port, "workerpool/demo-01/heartbeat");
        await using var host = HostProcess.Start("run", "--config", config);

        static (int Level, int Percent, double TargetFps) Thermal(Received m) => (
            m.Json.GetProperty("thermal").GetProperty("level").GetInt32(),
            m.Json.GetProperty("thermal").GetProperty("samplingPercent").GetInt32(),
            m.Json.GetProperty("cameras")[0].GetProperty("targetFps").GetDouble());

        // 91 °C: two steps down to the 50% floor (8 -> 6 -> 4 fps), then it stays there.
        var hot = await probe.WaitForAsync(ms => ms.Any(m => Thermal(m) == (2, 50, 4.0)), TimeSpan.FromSeconds(60), "throttled to 50%");
        Assert.Contains(hot, m => Thermal(m) == (1, 75, 6.0));
        var last = hot.Last(m => Thermal(m) == (2, 50, 4.0));
        Assert.Equal(91, last.Json.GetProperty("thermal").GetProperty("celsius").GetDouble()); // level 2 needs two readings
        Assert.Empty(SchemaCheck.Validate("heartbeat.schema.json", last.Json));
        var gpuWorker = last.Json.GetProperty("workers")[0];
        Assert.Equal(("tensorrt:0", "cpu"), (gpuWorker.GetProperty("device").GetString(), gpuWorker.GetProperty("activeDevice").GetString()));
        Assert.Contains("TensorrtExecutionProvider is not in this ONNX Runtime build", gpuWorker.GetProperty("fallbackReason").GetString(), StringComparison.Ordinal);

        // 70 °C, below resume: restored step by step.
        Temperature(70);
        // (The heartbeat sent on connect may come before the first reading: celsius is null then.)
        static double? Celsius(Received m) => m.Json.GetProperty("thermal").GetProperty("celsius") is { ValueKind: JsonValueKind.Number } c ? c.GetDouble() : null;
        await probe.WaitForAsync(ms => ms.Any(m => Thermal(m) == (0, 100, 8.0) && Celsius(m) == 70),
            TimeSpan.FromSeconds(60), "restored to 100%");
        Assert.Equal(2, host.Count("camera sampling lowered"));
        Assert.Equal(2, host.Count("camera sampling raised"));

        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
    }

    [Fact]
    public async Task UnderSystemdWatchdog_PingsWhileHealthy_WritesTheHealthFile_AndSaysStoppedAtExit()
    {
        string socketPath = _dir.File("notify.sock");
        using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        string config = ConfigFiles.DeriveFromDemo(_dir, "watchdog.json", c => c["cameras"]![0]!["fps"] = 5);
        await using var host = HostProcess.StartFile(Repo.HostScript, new Dictionary<string, string>
        {
            ["NOTIFY_SOCKET"] = socketPath,
            ["WATCHDOG_USEC"] = "2000000",
            ["JOURNAL_STREAM"] = "8:12345", // as systemd sets it when stderr goes to the journal
        }, "run", "--config", config);

        var received = new List<string>();
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (received.Count(m => m.StartsWith("WATCHDOG=1", StringComparison.Ordinal)) < 3)
        {
            int n = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
            received.Add(Encoding.UTF8.GetString(buffer, 0, n));
        }
        // Type=notify: READY=1 once started, whatever PID 1 is or whether the unit's ProtectProc=invisible hides it
        // (the smoke test under systemd saw a unit stuck in "activating" when the host looked for systemd in /proc/1).
        Assert.Contains(received, m => m.Split('\n').Contains("READY=1"));
        Assert.Contains(received, m => m == "WATCHDOG=1\nSTATUS=healthy");
        Assert.Equal(1, host.Count("systemd watchdog on: pinging every 1 s"));
        Assert.Contains(host.Stderr, l => l.StartsWith("<6>WorkerPool.Health[7003]", StringComparison.Ordinal)); // journald priority: info

        var health = HealthFile.Read(_dir.File("health.json"));
        Assert.NotNull(health);
        Assert.Equal(("healthy", host.Pid), (health.State, health.Pid));
        Assert.StartsWith("0.1.0+", health.Version, StringComparison.Ordinal);

        host.Signal(SigTerm);
        Assert.Equal(0, await host.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal("stopped", HealthFile.Read(_dir.File("health.json"))!.State);
    }
}
