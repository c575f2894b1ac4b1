namespace WorkerPool.IntegrationTests.Fleet;

/// <summary>The fleet ingest against a real Mosquitto and a real PostgreSQL, fed by the simulator.</summary>
[Collection("fleet")]
public sealed class IngestTests
{
    [SkippableFact]
    public async Task A_simulated_fleet_with_an_outage_lands_every_record_exactly_once_without_gaps()
    {
        Skip.IfNot(Infrastructure.PostgresServer.Available, "PostgreSQL server not installed");
        await using var fleet = await FleetFixture.StartAsync();
        await fleet.StartIngestAsync("ingest-a");

        var sent = await fleet.SimulateAsync("--devices", "6", "--cameras", "2", "--window-seconds", "1", "--windows", "8",
            "--outage-fraction", "0.5", "--outage-windows", "3", "--seed", "7", "--fast");
        Assert.Equal(96, sent.GetProperty("records").GetInt64());

        Assert.Equal(96, await fleet.WaitForAsync("SELECT count(*) FROM count_windows", 96, TimeSpan.FromSeconds(60)));
        var report = await fleet.ReportAsync();
        Assert.Equal(6, report.GetProperty("devices").GetInt32());
        Assert.Equal(96, report.GetProperty("records").GetInt64());
        var cameras = report.GetProperty("cameras").EnumerateArray().ToList();
        Assert.Equal(12, cameras.Count);
        Assert.All(cameras, c =>
        {
            Assert.Equal(8, c.GetProperty("records").GetInt64());
            Assert.Equal(1, c.GetProperty("firstSeq").GetInt64());
            Assert.Equal(8, c.GetProperty("lastSeq").GetInt64());
            Assert.Empty(c.GetProperty("gaps").EnumerateArray());
        });
        // Line counts and zone stats are plain columns a SQL user reads directly.
        Assert.Equal(96L, await fleet.Database.ScalarAsync("SELECT count(*) FROM line_counts WHERE line_id = 'entrance'"));
        Assert.Equal(96L, await fleet.Database.ScalarAsync("SELECT count(*) FROM zone_stats WHERE zone_id = 'floor'"));
        // Every simulated device ended with a clean offline status.
        Assert.Equal(6L, await fleet.Database.ScalarAsync("SELECT count(*) FROM devices WHERE status = 'offline' AND status_reason = 'stopped'"));
    }

    [SkippableFact]
    public async Task A_partial_record_closed_from_a_checkpoint_is_stored_with_its_flag_beside_the_windows_other_part_and_warming_up_is_kept()
    {
        Skip.IfNot(Infrastructure.PostgresServer.Available, "PostgreSQL server not installed");
        await using var fleet = await FleetFixture.StartAsync();
        await fleet.StartIngestAsync("ingest-p");
        await using var device = new Infrastructure.MqttProbe();
        await device.ConnectAsync(fleet.Broker.Port, "workerpool/dev-p/#");
        // The window 10:00-10:01 in two records: what a crash left (partial, from its checkpoint) and the rest.
        foreach (var (seq, partial, @in) in new[] { (1, true, 3), (2, false, 2) })
        {
            string id = Guid.NewGuid().ToString();
            await device.PublishAsync("workerpool/dev-p/counts/cam", $$$"""
                {"messageId":"{{{id}}}","seq":{{{seq}}},"deviceId":"dev-p","cameraId":"cam",
                 "windowStart":"2026-12-01T10:00:00+00:00","windowEnd":"2026-12-01T10:01:00+00:00",
                 "framesProcessed":10,"framesDropped":0,"framesFailed":0,"lines":{"door":{"in":{{{@in}}},"out":0}},"zones":{},
                 "clockSynced":true,"partial":{{{(partial ? "true" : "false")}}},"warmingUp":{{{(partial ? "false" : "true")}}}}
                """, retain: false);
        }

        Assert.Equal(2, await fleet.WaitForAsync("SELECT count(*) FROM count_windows WHERE device_id = 'dev-p'", 2, TimeSpan.FromSeconds(60)));
        Assert.Equal(1L, await fleet.Database.ScalarAsync("SELECT count(*) FROM count_windows WHERE device_id = 'dev-p' AND partial AND seq = 1"));
        // The restarted process's own first window: marked warming up.
        Assert.Equal(1L, await fleet.Database.ScalarAsync("SELECT count(*) FROM count_windows WHERE device_id = 'dev-p' AND warming_up AND seq = 2"));
        // Summed, the window holds both parts.
        Assert.Equal(5L, await fleet.Database.ScalarAsync("SELECT sum(in_count)::bigint FROM line_counts WHERE device_id = 'dev-p' AND line_id = 'door'"));
    }
}
