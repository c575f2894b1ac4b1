using System.Text.Json;
using System.Text.Json.Nodes;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Fleet;

/// <summary>
/// Gap repair with the real device service: a gap the device cannot explain (rows deleted on the fleet side) is asked
/// for by the ingest, with a request signed by its own resend key, and closes once the device resent the records from
/// its archive; a gap the device knows it lost (a retention drop) stays, explained.
/// </summary>
[Collection("fleet")]
public sealed class GapRepairTests
{
    private const int SigTerm = 15;
    private const string DeviceRows = "SELECT count(*) FROM count_windows WHERE device_id = 'demo-01' AND camera_id = 'vtest'";

    [SkippableFact]
    public async Task Deleted_rows_are_asked_for_resent_by_the_device_and_the_gap_closes_with_no_duplicates()
    {
        Skip.IfNot(PostgresServer.Available, "PostgreSQL server not installed");
        using var dir = new TempDir();
        await using var fleet = await FleetFixture.StartAsync();
        string fleetKeys = await KeygenAsync(dir, "fleet-keys");
        string ingestKeys = await KeygenAsync(dir, "ingest-keys");
        var ingest = await fleet.StartIngestAsync("ingest-a", "workerpool-ingest",
            "--resend-key", Path.Combine(ingestKeys, "fleet-private.pem"), "--gap-grace-seconds", "1", "--resend-interval-seconds", "5");
        // The device takes signed commands only: the fleet key for everything, the ingest's key for resend alone.
        string config = ConfigFiles.DeriveServiceConfig(dir, "device.json", fleet.Broker.Port, c => c["security"] = new JsonObject
        {
            ["fleetPublicKey"] = File.ReadAllText(Path.Combine(fleetKeys, "fleet-public.pem")),
            ["resendPublicKey"] = File.ReadAllText(Path.Combine(ingestKeys, "fleet-public.pem")),
        });
        await using var device = HostProcess.Start("run", "--config", config);
        Assert.True(await fleet.WaitForAsync(DeviceRows, 10, TimeSpan.FromSeconds(120)) >= 10, "the device's records never arrived: " + device.Tail());

        // Rows lost on the fleet side, after the broker (and the ingest) had them: the device has no loss to report.
        const string delete = """
            WITH gone AS (DELETE FROM count_windows WHERE device_id = 'demo-01' AND camera_id = 'vtest' AND seq BETWEEN 4 AND 7
                          RETURNING message_id),
                 lines AS (DELETE FROM line_counts WHERE message_id IN (SELECT message_id FROM gone)),
                 zones AS (DELETE FROM zone_stats WHERE message_id IN (SELECT message_id FROM gone))
            SELECT count(*) FROM gone
            """;
        Assert.Equal(4L, await fleet.Database.ScalarAsync(delete));
        // The audit finds it (the ingest's own refresh only looks above what arrives) and records it in the ledger.
        var audit = await fleet.ReportAsync(audit: true);
        Assert.Contains(new Gap(4, 7, Explained: false), Gaps(audit));

        // The ingest asks by itself; the device resends from its archive; the ledger closes as they arrive.
        const string restored = "SELECT count(*) FROM count_windows WHERE device_id = 'demo-01' AND camera_id = 'vtest' AND seq BETWEEN 4 AND 7";
        long back = await fleet.WaitForAsync(restored, 4, TimeSpan.FromSeconds(60));
        if (back < 4) fleet.SaveLogs("fleet-gap-repair", device);
        Assert.True(back == 4, $"{back} of the 4 deleted records came back; ingest: {ingest.Tail()}; device: {device.Tail()}");
        Assert.Contains(ingest.Stderr, l => l.Contains("Resend answered", StringComparison.Ordinal) && l.Contains("\"resent\":4", StringComparison.Ordinal));
        Assert.DoesNotContain(device.Stderr, l => l.Contains("Command resend refused", StringComparison.Ordinal));

        // Stopped, so nothing is in flight when the ledger is read for the last time.
        device.Signal(SigTerm);
        Assert.Equal(0, await device.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        long last = LastStoredSeq(device);
        Assert.True(await fleet.WaitForAsync(DeviceRows, last, TimeSpan.FromSeconds(60)) >= last, "the device's last records never arrived");
        var closed = await fleet.ReportAsync(audit: true);
        Assert.Empty(Gaps(closed));
        var camera = closed.GetProperty("cameras").EnumerateArray().Single(c => c.GetProperty("device").GetString() == "demo-01");
        Assert.Equal((last, last), (camera.GetProperty("records").GetInt64(), camera.GetProperty("lastSeq").GetInt64()));
        // 0 duplicate rows: one per messageId and one per seq.
        Assert.Equal(last, await fleet.Database.ScalarAsync("SELECT count(DISTINCT message_id) FROM count_windows"));
        Assert.Equal(last, await fleet.Database.ScalarAsync("SELECT count(DISTINCT seq) FROM count_windows"));
        Assert.Equal(last, await fleet.Database.ScalarAsync("SELECT count(*) FROM count_windows"));
    }

    [SkippableFact]
    public async Task A_retention_drop_while_the_broker_is_away_stays_an_explained_gap()
    {
        Skip.IfNot(PostgresServer.Available, "PostgreSQL server not installed");
        using var dir = new TempDir();
        await using var fleet = await FleetFixture.StartAsync();
        var ingest = await fleet.StartIngestAsync("ingest-a");
        // The broker is away for the device only: the ingest stays connected, so nothing the device publishes once it
        // is back goes unread (a broker holds nothing for a shared-subscription group with no member connected).
        using var link = new TcpForwarder(fleet.Broker.Port);

        string config = ConfigFiles.DeriveServiceConfig(dir, "device.json", link.Port, c =>
        {
            c["outbox"]!["maxRecords"] = 3;
            c["mqtt"]!["maxBackoffSeconds"] = 2;
            c["mqtt"]!["heartbeatSeconds"] = 2; // a drop after the reconnect's heartbeat is reported soon too
        });
        await using var device = HostProcess.Start("run", "--config", config);
        await device.WaitForStderrAsync("Outbox retention dropped", TimeSpan.FromSeconds(120));
        Assert.True(await device.WaitForCountAsync("Stored count record vtest", 8, TimeSpan.FromSeconds(60)) >= 8, device.Tail());

        link.Open();
        // The kept records arrive, and the heartbeats list the range dropped before them (one sent on reconnect, then
        // every 2 s: a drop just after the reconnect is reported by the next).
        const string covered = """
            SELECT CASE WHEN (SELECT max(to_seq) FROM explained_losses WHERE device_id = 'demo-01' AND camera_id = 'vtest' AND reason = 'retention')
                             >= (SELECT min(seq) FROM count_windows WHERE device_id = 'demo-01' AND camera_id = 'vtest') - 1 THEN 1 ELSE 0 END
            """;
        long reported = await fleet.WaitForAsync(covered, 1, TimeSpan.FromSeconds(90));
        if (reported < 1) fleet.SaveLogs("fleet-retention-gap", device);
        Assert.True(reported == 1, "the dropped range never reached the fleet; device: " + device.Tail() + "; ingest: " + ingest.Tail());
        device.Signal(SigTerm);
        Assert.Equal(0, await device.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        long last = LastStoredSeq(device);
        long firstKept = Convert.ToInt64(await fleet.Database.ScalarAsync("SELECT min(seq) FROM count_windows"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(await fleet.WaitForAsync(DeviceRows, last - firstKept + 1, TimeSpan.FromSeconds(60)) >= last - firstKept + 1, "the device's records never arrived");

        var report = await fleet.ReportAsync(audit: true);
        var gaps = Gaps(report);
        Assert.True(firstKept > 1, $"nothing was dropped: the first record stored is seq {firstKept}");
        Assert.Equal([new Gap(1, firstKept - 1, Explained: true)], gaps);
    }

    private static async Task<string> KeygenAsync(TempDir dir, string name)
    {
        string keys = dir.File(name);
        var (code, _, stderr) = await FleetFixture.RunAsync(TimeSpan.FromMinutes(2), "keygen", "--out", keys);
        Assert.True(code == 0, string.Join("\n", stderr));
        return keys;
    }

    private sealed record Gap(long From, long To, bool Explained);

    private static List<Gap> Gaps(JsonElement report) =>
    [
        .. report.GetProperty("cameras").EnumerateArray()
            .Where(c => c.GetProperty("device").GetString() == "demo-01" && c.GetProperty("camera").GetString() == "vtest")
            .SelectMany(c => c.GetProperty("gaps").EnumerateArray())
            .Select(g => new Gap(g.GetProperty("from").GetInt64(), g.GetProperty("to").GetInt64(), g.GetProperty("explained").GetBoolean())),
    ];

    private static long LastStoredSeq(HostProcess device) =>
        device.Stderr.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"Stored count record vtest seq (\d+) "))
            .Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
}
