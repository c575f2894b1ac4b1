using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using WorkerPool.Fleet.Broker;

namespace WorkerPool.Fleet.Simulate;

/// <summary>What <c>simulate</c> prints last: every seq range it sent, per device and camera, to compare with <c>report</c>.</summary>
internal sealed record SimulationSummary(int Devices, long Records, IReadOnlyList<SentRange> Cameras);

/// <summary>Seqs <paramref name="FirstSeq"/> to <paramref name="LastSeq"/> of one camera, all acknowledged by the broker.</summary>
internal sealed record SentRange(string Device, string Camera, long FirstSeq, long LastSeq, long Records);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(SimulationSummary))]
internal sealed partial class SimulateJsonContext : JsonSerializerContext;

/// <summary><c>simulate</c>: N virtual devices on real MQTT connections, deterministic for a seed.</summary>
internal static class SimulateCommand
{
    public static Command Build()
    {
        var broker = new BrokerArguments();
        var devices = new Option<int>("--devices") { Description = "Virtual devices (one MQTT connection each)", Required = true };
        var cameras = new Option<int>("--cameras") { Description = "Cameras per device", DefaultValueFactory = _ => 2 };
        var window = new Option<int>("--window-seconds") { Description = "Window length in seconds", DefaultValueFactory = _ => 60 };
        var windows = new Option<int>("--windows") { Description = "Windows each device counts", Required = true };
        var outage = new Option<double>("--outage-fraction") { Description = "Fraction of devices that go offline (0 to 1)", DefaultValueFactory = _ => 0 };
        var outageWindows = new Option<int>("--outage-windows") { Description = "Windows an offline device stays away, buffering", DefaultValueFactory = _ => 0 };
        var seed = new Option<int>("--seed") { Description = "Seed: the same seed sends the same records", DefaultValueFactory = _ => 1 };
        var devicePrefix = new Option<string>("--device-prefix") { Description = "Device ids are PREFIX-00000, PREFIX-00001, …", DefaultValueFactory = _ => "sim" };
        var fast = new Option<bool>("--fast") { Description = "Publish every window at once instead of at each window's close" };
        var requireSubscriber = new Option<bool>("--require-subscriber") { Description = "Send a count record again while the broker says no subscriber took it (MQTT 5 reason 16)" };
        var linger = new Option<int>("--linger-seconds") { Description = "Stay connected (online, heartbeating) this long after the last window", DefaultValueFactory = _ => 0 };
        var start = new Option<string?>("--start") { Description = "First window start (ISO 8601, UTC); default: now, rounded down to the window" };
        var backlog = new Option<int>("--backlog-windows") { Description = "Windows every device already counted before --start and publishes at once when it first connects (seqs 1 to this), as a device back from an outage does", DefaultValueFactory = _ => 0 };
        var publishLog = new Option<FileInfo?>("--publish-log") { Description = "Write messageId,unixMicroseconds for each count record as it is published (for latency measurements)" };
        var command = new Command("simulate", "Simulate a fleet of devices publishing counts, heartbeats and status; prints what it sent, as JSON last")
        {
            devices, cameras, window, windows, outage, outageWindows, seed, devicePrefix, fast, start, linger, requireSubscriber, backlog, publishLog,
        };
        broker.AddTo(command);
        command.SetAction(async (r, token) =>
        {
            int w = r.GetValue(window);
            var first = r.GetValue(start) is { } s
                ? DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal)
                : DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() / Math.Max(1, w) * Math.Max(1, w));
            var options = new SimulationOptions(r.GetValue(devices), r.GetValue(cameras), w, r.GetValue(windows), r.GetValue(outage),
                r.GetValue(outageWindows), r.GetValue(seed), r.GetValue(broker.Prefix)!, r.GetValue(devicePrefix)!, r.GetValue(fast), first)
            {
                Linger = TimeSpan.FromSeconds(Math.Max(0, r.GetValue(linger))),
                RequireSubscriber = r.GetValue(requireSubscriber),
                BacklogWindows = r.GetValue(backlog),
            };
            if (options.Devices < 1 || options.Cameras < 1 || options.WindowSeconds < 1 || options.Windows < 1 || options.OutageFraction is < 0 or > 1 || options.BacklogWindows < 0)
            {
                await Console.Error.WriteLineAsync("simulate: --devices, --cameras, --window-seconds and --windows must be at least 1, --outage-fraction from 0 to 1, --backlog-windows 0 or more").ConfigureAwait(false);
                return ExitCodes.InvalidInput;
            }
            return await RunAsync(options, broker.Endpoint(r), TimeProvider.System, r.GetValue(publishLog), token).ConfigureAwait(false);
        });
        return command;
    }

    public static async Task<int> RunAsync(SimulationOptions options, BrokerEndpoint broker, TimeProvider time, FileInfo? publishLog, CancellationToken token)
    {
        var plan = new SimulationPlan(options);
        var log = publishLog is null ? null : new PublishLog();
        var fleet = Enumerable.Range(0, options.Devices).Select(i => new VirtualDevice(plan, i, broker, time, log)).ToList();
        using var connectSlots = new SemaphoreSlim(64); // connects in waves, as a fleet coming up does
        var wallStart = time.GetUtcNow();
        var runs = fleet.Select(d => d.RunAsync(wallStart, connectSlots, token)).ToList();
        try
        {
            await Task.WhenAll(runs).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            int failed = runs.Count(t => t.IsFaulted);
            await Console.Error.WriteLineAsync($"simulate: {failed} of {options.Devices} devices failed; first: {runs.First(t => t.IsFaulted).Exception!.InnerException!.Message}").ConfigureAwait(false);
            return ExitCodes.Failure;
        }
        if (log is not null && publishLog is not null) await log.WriteAsync(publishLog.FullName, token).ConfigureAwait(false);
        var ranges = new List<SentRange>();
        for (int d = 0; d < options.Devices; d++)
            for (int c = 0; c < options.Cameras; c++)
            {
                var range = new SentRange(plan.DeviceId(d), SimulationPlan.CameraId(c), 1, options.TotalWindows, options.TotalWindows);
                ranges.Add(range);
                Console.WriteLine($"sent {range.Device} {range.Camera} seq {range.FirstSeq}..{range.LastSeq}{(plan.Outage(d) is { } o ? $" (offline windows {o.First}..{o.First + o.Count - 1})" : "")}");
            }
        Console.WriteLine(JsonSerializer.Serialize(new SimulationSummary(options.Devices, fleet.Sum(f => f.Acknowledged), ranges), SimulateJsonContext.Default.SimulationSummary));
        return ExitCodes.Ok;
    }
}
