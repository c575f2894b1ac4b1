using System.Security.Cryptography;
using System.Text;
using WorkerPool.Contracts;

namespace WorkerPool.Fleet.Simulate;

/// <summary>What <c>simulate</c> was asked for.</summary>
internal sealed record SimulationOptions(int Devices, int Cameras, int WindowSeconds, int Windows, double OutageFraction, int OutageWindows, int Seed,
    string Prefix, string DevicePrefix, bool Fast, DateTimeOffset Start)
{
    /// <summary>How long devices stay connected (online, heartbeating) after their last window before they stop.</summary>
    public TimeSpan Linger { get; init; }

    /// <summary>Send a count record again while the broker answers that no subscriber took it.</summary>
    public bool RequireSubscriber { get; init; }

    /// <summary>
    /// Windows each device already counted before <see cref="Start"/> and still holds, as a device back from an outage
    /// of that many windows does: they take seqs 1 to this, and are published first, in order, at the first connection.
    /// </summary>
    public int BacklogWindows { get; init; }

    /// <summary>Seqs per camera over the whole run: the backlog's and the live windows'.</summary>
    public int TotalWindows => BacklogWindows + Windows;
}

/// <summary>
/// Everything the simulated fleet will send, decided up front from the seed: device and camera ids, which devices
/// go offline and when, and each record's content and messageId. The same seed gives the same records.
/// </summary>
internal sealed class SimulationPlan(SimulationOptions options)
{
    /// <summary>The options.</summary>
    public SimulationOptions Options { get; } = options;

    /// <summary>Device id of the <paramref name="index"/>-th device.</summary>
    public string DeviceId(int index) => $"{Options.DevicePrefix}-{index:D5}";

    /// <summary>Camera id of the <paramref name="index"/>-th camera (the same on every device).</summary>
    public static string CameraId(int index) => $"cam-{index + 1}";

    /// <summary>The windows (first, count) during which the device is offline, or null when it stays connected.</summary>
    public (int First, int Count)? Outage(int device)
    {
        if (Options.OutageFraction <= 0 || Options.OutageWindows <= 0) return null;
        int offline = (int)Math.Round(Options.OutageFraction * Options.Devices);
        // A seeded shuffle picks which devices: the first `offline` of it.
        var order = Enumerable.Range(0, Options.Devices).ToArray();
        new Random(Options.Seed).Shuffle(order);
        if (Array.IndexOf(order, device) >= offline) return null;
        int first = Math.Max(1, Options.Windows / 3);
        return (first, Math.Min(Options.OutageWindows, Math.Max(0, Options.Windows - first)));
    }

    /// <summary>
    /// The count record of window <paramref name="window"/> of one camera: live windows count from 0, the backlog's
    /// from <c>-BacklogWindows</c> (before <see cref="SimulationOptions.Start"/>); seq is window + BacklogWindows + 1.
    /// </summary>
    public CountRecord Record(int device, int camera, int window)
    {
        string deviceId = DeviceId(device), cameraId = CameraId(camera);
        long seq = window + Options.BacklogWindows + 1;
        var random = new Random(HashCode(deviceId, cameraId, seq));
        var start = Options.Start.AddSeconds((double)window * Options.WindowSeconds);
        int occupancy = random.Next(0, 8);
        return new CountRecord
        {
            MessageId = MessageId(deviceId, cameraId, seq).ToString(),
            Seq = seq,
            DeviceId = deviceId,
            CameraId = cameraId,
            WindowStart = start,
            WindowEnd = start.AddSeconds(Options.WindowSeconds),
            FramesProcessed = Options.WindowSeconds * 5L,
            Lines = new() { ["entrance"] = new LineCount(random.Next(0, 20), random.Next(0, 20)) },
            Zones = new() { ["floor"] = new ZoneOccupancy(occupancy + random.NextDouble(), occupancy, occupancy + random.Next(0, 3)) },
        };
    }

    /// <summary>A stable UUID for a record, from the seed, device, camera and seq.</summary>
    public Guid MessageId(string device, string camera, long seq)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{Options.Seed}/{device}/{camera}/{seq}"));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8 (custom)
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    private int HashCode(string device, string camera, long seq) =>
        BitConverter.ToInt32(SHA256.HashData(Encoding.UTF8.GetBytes($"{Options.Seed}|{device}|{camera}|{seq}")), 0);
}
