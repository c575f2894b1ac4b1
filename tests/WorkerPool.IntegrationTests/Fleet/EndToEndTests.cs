using System.Text.Json;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Fleet;

/// <summary>
/// The real device service and a simulated fleet, through two ingest instances in one shared-subscription group,
/// into PostgreSQL, with an ingest killed, the database down for 30 s and the broker restarted on the way.
/// </summary>
[Collection("fleet")]
public sealed class EndToEndTests
{
    private const int SigKill = 9, SigTerm = 15;

    [SkippableFact]
    public async Task Every_record_lands_once_through_an_ingest_kill_a_database_outage_and_a_broker_restart()
    {
        Skip.IfNot(PostgresServer.Available, "PostgreSQL server not installed");
        using var dir = new TempDir();
        await using var fleet = await FleetFixture.StartAsync();
        // A device's record the broker dropped while no ingest was connected (just after its restart) is asked for again.
        string[] repair = ["--gap-grace-seconds", "2", "--resend-interval-seconds", "10"];
        var ingestA = await fleet.StartIngestAsync("ingest-a", "workerpool-ingest", repair);
        await fleet.StartIngestAsync("ingest-b", "workerpool-ingest", repair);

        // A short reconnect backoff, so the device is back soon after the broker restart.
        string config = ConfigFiles.DeriveServiceConfig(dir, "device.json", fleet.Broker.Port, c => c["mqtt"]!["maxBackoffSeconds"] = 2);
        await using var device = HostProcess.Start("run", "--config", config);
        var simulate = fleet.SimulateAsync("--devices", "20", "--cameras", "1", "--window-seconds", "1", "--windows", "75", "--seed", "3", "--require-subscriber");

        const string deviceRows = "SELECT count(*) FROM count_windows WHERE device_id = 'demo-01'";
        Assert.True(await fleet.WaitForAsync(deviceRows, 3, TimeSpan.FromSeconds(120)) >= 3, "the device's first records never arrived");

        // One ingest dies without a word; its session keeps what it had not acknowledged, and it comes back.
        ingestA.Signal(SigKill);
        await ingestA.WaitForExitAsync(TimeSpan.FromSeconds(10));
        await fleet.StartIngestAsync("ingest-a", "workerpool-ingest", repair);

        // The database goes away for 30 s: nothing is acknowledged meanwhile, and the broker holds the rest.
        long before = await fleet.WaitForAsync(deviceRows, 0, TimeSpan.Zero);
        fleet.Database.Stop();
        await Task.Delay(TimeSpan.FromSeconds(30));
        await fleet.Database.StartAsync(createDatabase: false);
        Assert.True(await fleet.WaitForAsync(deviceRows, before + 3, TimeSpan.FromSeconds(90)) >= before + 3, "ingest did not resume after the database came back");

        // The broker restarts (persistent: sessions and retained messages survive).
        fleet.Broker.Stop();
        fleet.Broker.Start();

        var sent = await simulate;
        // Stop the device once the fleet has all it stored so far; SIGTERM then drains the rest while connected.
        Assert.True(await fleet.WaitForAsync(deviceRows, LastStoredSeq(device), TimeSpan.FromSeconds(90)) >= LastStoredSeq(device) - 1,
            "the device did not catch up after the broker restart: " + device.Tail());
        device.Signal(SigTerm);
        Assert.Equal(0, await device.WaitForExitAsync(TimeSpan.FromSeconds(60)));

        // The device's last seq, from its own log: everything it numbered must be there once.
        long lastDeviceSeq = LastStoredSeq(device);
        Assert.True(lastDeviceSeq > 10, $"the device stored only {lastDeviceSeq} records");
        long expected = sent.GetProperty("records").GetInt64() + lastDeviceSeq;
        long stored = await fleet.WaitForAsync("SELECT count(*) FROM count_windows", expected, TimeSpan.FromSeconds(120));
        var report = await fleet.ReportAsync();
        if (stored != expected) fleet.SaveLogs("fleet-e2e", device);
        Assert.True(stored == expected, $"{stored} of {expected} records stored; short cameras: " + string.Join("; ",
            report.GetProperty("cameras").EnumerateArray().Where(c => c.GetProperty("gaps").GetArrayLength() > 0 || c.GetProperty("lastSeq").GetInt64() < 75)
                .Select(c => c.ToString())));
        Assert.Equal(21, report.GetProperty("devices").GetInt32());
        Assert.Equal(expected, report.GetProperty("records").GetInt64());
        foreach (var camera in report.GetProperty("cameras").EnumerateArray())
        {
            Assert.True(camera.GetProperty("gaps").GetArrayLength() == 0, $"gaps in {camera}");
            Assert.Equal(1, camera.GetProperty("firstSeq").GetInt64());
            Assert.Equal(camera.GetProperty("records").GetInt64(), camera.GetProperty("lastSeq").GetInt64());
        }
        var vtest = report.GetProperty("cameras").EnumerateArray().Single(c => c.GetProperty("device").GetString() == "demo-01");
        Assert.Equal(lastDeviceSeq, vtest.GetProperty("lastSeq").GetInt64());
        // Both instances of the group took part of the load.
        Assert.Equal(2L, await fleet.Database.ScalarAsync("SELECT count(*) FROM ingest_counters WHERE records > 0"));
        // 0 duplicate rows: one row per messageId and per (device, camera, seq).
        Assert.Equal(expected, await fleet.Database.ScalarAsync("SELECT count(DISTINCT message_id) FROM count_windows"));
        Assert.Equal(expected, await fleet.Database.ScalarAsync("SELECT count(*) FROM (SELECT DISTINCT device_id, camera_id, seq FROM count_windows) s"));
    }

    private static long LastStoredSeq(HostProcess device) =>
        device.Stderr.Select(l => System.Text.RegularExpressions.Regex.Match(l, @"Stored count record vtest seq (\d+) "))
            .Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).DefaultIfEmpty(0).Max();
}
