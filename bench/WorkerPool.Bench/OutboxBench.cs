using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet;
using MQTTnet.Protocol;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Counting;
using WorkerPool.Messaging;
using WorkerPool.Outbox;

using static WorkerPool.Bench.BenchSupport;

namespace WorkerPool.Bench;

/// <summary>
/// Store-and-forward: durable appends per second (each one fsynced), the time to replay a backlog of 2,880 records
/// (two cameras, one day of 1-minute windows) to a local Mosquitto until a subscriber has all of them, and the
/// process RSS with a 100,000-record backlog. Baseline in the same run: publishing the same payloads straight from
/// memory with QoS 1 (no outbox), so the ratio shows what the outbox costs.
/// </summary>
internal static class OutboxBench
{
    public static async Task<int> RunAsync(int repeats)
    {
        string dir = Path.Combine(Path.GetTempPath(), "workerpool-bench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        var (broker, port) = await StartBrokerAsync(dir);
        using var _ = broker;
        try
        {
            var appends = new List<double>();
            var replays = new List<double>();
            var bare = new List<double>();
            for (int r = 0; r < repeats; r++)
            {
                appends.Add(Appends(Path.Combine(dir, $"appends-{r}.db"), 300));
                var (replay, payloads) = await ReplayAsync(Path.Combine(dir, $"replay-{r}.db"), port, 2880);
                replays.Add(replay);
                bare.Add(await BarePublishAsync(port, payloads));
            }
            long rss = Backlog(Path.Combine(dir, "backlog.db"), 100_000);

            Console.WriteLine($"# WorkerPool outbox benchmark, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; repeats {repeats}");
            Console.WriteLine($"durable appends per second (append + commit + checkpoint + fsync): median {Median(appends):0} ({Join(appends, "0")})");
            Console.WriteLine($"replay of 2,880 stored records to Mosquitto, until a subscriber has all: median {Median(replays):0.00} s ({Join(replays, "0.00")}), target < 5 s");
            Console.WriteLine($"baseline, the same 2,880 payloads published from memory with QoS 1: median {Median(bare):0.00} s; outbox replay / baseline = {Median(replays) / Median(bare):0.00}x");
            Console.WriteLine($"RSS with a 100,000-record backlog open (after reading the oldest batch and the stats): {rss / (1024.0 * 1024):0} MiB");
            return 0;
        }
        finally
        {
            broker.Kill();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static CountRecord Record(string camera, int minute) => new()
    {
        DeviceId = "bench", CameraId = camera, FramesProcessed = 600, FramesDropped = 3,
        WindowStart = DateTimeOffset.UnixEpoch.AddMinutes(minute), WindowEnd = DateTimeOffset.UnixEpoch.AddMinutes(minute + 1),
        Lines = { ["door"] = new LineCount(4, 3), ["corridor"] = new LineCount(1, 2) },
        Zones = { ["lobby"] = new ZoneOccupancy(2.5, 0, 6) },
    };

    private static double Appends(string path, int count)
    {
        using var outbox = CountOutbox.Open(path, new OutboxOptions(), TimeProvider.System, NullLogger.Instance);
        outbox.Append(Record("a", 0)); // create the file
        var clock = Stopwatch.StartNew();
        for (int i = 1; i <= count; i++) outbox.Append(Record(i % 2 == 0 ? "a" : "b", i));
        return count / clock.Elapsed.TotalSeconds;
    }

    private static async Task<(double Seconds, List<(string Topic, byte[] Payload)> Payloads)> ReplayAsync(string path, int port, int count)
    {
        using var outbox = CountOutbox.Open(path, new OutboxOptions(), TimeProvider.System, NullLogger.Instance);
        var payloads = new List<(string, byte[])>();
        for (int i = 0; i < count; i++)
        {
            var e = outbox.Append(Record(i % 2 == 0 ? "cam1" : "cam2", i / 2))!;
            payloads.Add(($"workerpool/bench/counts/{e.CameraId}", System.Text.Encoding.UTF8.GetBytes(e.Payload)));
        }
        using var subscriber = await SubscribeAsync(port);
        var connection = new MqttConnection(new MqttOptions { Port = port, ClientId = "bench-device" }, "bench", "bench", TimeProvider.System, NullLogger.Instance);
        using var publisher = new OutboxPublisher(outbox, connection, 100, TimeProvider.System, NullLogger.Instance);
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var run = Task.WhenAll(connection.RunAsync(stop.Token), publisher.RunAsync(stop.Token));
        await subscriber.WaitAsync(count, TimeSpan.FromSeconds(120));
        double seconds = clock.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        try { await run; } catch (OperationCanceledException) { }
        await connection.DisposeAsync();
        return (seconds, payloads);
    }

    private static async Task<double> BarePublishAsync(int port, List<(string Topic, byte[] Payload)> payloads)
    {
        using var subscriber = await SubscribeAsync(port);
        using var client = new MqttClientFactory().CreateMqttClient();
        var clock = Stopwatch.StartNew();
        await client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).Build());
        foreach (var (topic, payload) in payloads)
            await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(payload).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).Build());
        await subscriber.WaitAsync(payloads.Count, TimeSpan.FromSeconds(120));
        double seconds = clock.Elapsed.TotalSeconds;
        await client.DisconnectAsync();
        return seconds;
    }

    private static long Backlog(string path, int count)
    {
        using (var outbox = CountOutbox.Open(path, new OutboxOptions(), TimeProvider.System, NullLogger.Instance))
            for (int i = 0; i < count; i += 1000)
                outbox.AppendRange(Enumerable.Range(i, 1000).Select(j => Record($"cam{j % 4}", j)));
        GC.Collect();
        using var reopened = CountOutbox.Open(path, new OutboxOptions(), TimeProvider.System, NullLogger.Instance);
        _ = reopened.ReadOldest(100);
        _ = reopened.Stats();
        GC.Collect();
        using var self = Process.GetCurrentProcess();
        self.Refresh();
        return self.WorkingSet64;
    }

    private sealed class Subscriber : IDisposable
    {
        public IMqttClient Client { get; } = new MqttClientFactory().CreateMqttClient();
        private int _received;
        public Subscriber() => Client.ApplicationMessageReceivedAsync += _ => { Interlocked.Increment(ref _received); return Task.CompletedTask; };
        public async Task WaitAsync(int count, TimeSpan timeout)
        {
            var deadline = DateTime.UtcNow + timeout;
            while (Volatile.Read(ref _received) < count)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"only {_received} of {count} arrived");
                await Task.Delay(5);
            }
        }
        public void Dispose() => Client.Dispose();
    }

    private static async Task<Subscriber> SubscribeAsync(int port)
    {
        var s = new Subscriber();
        await s.Client.ConnectAsync(new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithProtocolVersion(MQTTnet.Formatter.MqttProtocolVersion.V500).Build());
        await s.Client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter("workerpool/bench/counts/#", MqttQualityOfServiceLevel.AtLeastOnce).Build());
        return s;
    }
}
