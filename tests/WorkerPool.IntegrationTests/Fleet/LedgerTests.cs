using Microsoft.Extensions.Logging.Abstractions;
using WorkerPool.Contracts;
using WorkerPool.Fleet.Ingest;
using WorkerPool.Fleet.Report;
using WorkerPool.Fleet.Storage;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Fleet;

/// <summary>The completeness ledger and the batch writer in-process, against a real PostgreSQL.</summary>
[Collection("fleet")]
public sealed class LedgerTests : IAsyncLifetime
{
    private PostgresServer? _server;
    private FleetStore _store = null!;
    private BatchWriter _writer = null!;

    public async Task InitializeAsync()
    {
        if (!PostgresServer.Available) return;
        _server = await new PostgresServer().StartAsync();
        _store = await FleetStore.OpenAsync(_server.ConnectionString(), NullLogger.Instance, CancellationToken.None);
        _writer = new BatchWriter(_store, "test");
    }

    private static InboundCount Count(string camera, long seq, Guid? id = null)
    {
        var start = new DateTimeOffset(2026, 11, 30, 23, 58, 0, TimeSpan.Zero).AddMinutes(seq); // crosses a month boundary
        var record = new CountRecord
        {
            MessageId = (id ?? Guid.NewGuid()).ToString(), Seq = seq, DeviceId = "d1", CameraId = camera,
            WindowStart = start, WindowEnd = start.AddMinutes(1), FramesProcessed = 300,
            Lines = new() { ["door"] = new LineCount(seq, 1) }, Zones = new() { ["hall"] = new ZoneOccupancy(1.5, 1, 2) },
        };
        return new InboundCount("d1", DateTime.UtcNow, record, Guid.Parse(record.MessageId));
    }

    private Task<BatchResult> WriteAsync(string camera, params long[] seqs) => _writer.WriteAsync([.. seqs.Select(s => (Inbound)Count(camera, s))], CancellationToken.None);

    private async Task<CameraReport> CameraAsync(string camera, bool audit = false) =>
        (await FleetReportQuery.ReadAsync(_store, audit, CancellationToken.None)).Cameras.Single(c => c.Camera == camera);

    [SkippableFact]
    public async Task Records_arriving_out_of_order_leave_no_gap_once_all_are_in()
    {
        Skip.If(_server is null, "PostgreSQL server not installed");
        await WriteAsync("a", 1, 2, 5);
        Assert.Equal([new GapReport(3, 4, false)], (await CameraAsync("a")).Gaps);
        await WriteAsync("a", 4, 3);
        var camera = await CameraAsync("a");
        Assert.Empty(camera.Gaps);
        Assert.Equal((5L, 1L, 5L, 5L), (camera.Records, camera.FirstSeq, camera.LastSeq, camera.ContiguousTo));
    }

    [SkippableFact]
    public async Task A_missing_range_is_one_gap_a_missing_start_another_and_contiguous_stops_before_the_first()
    {
        Skip.If(_server is null, "PostgreSQL server not installed");
        await WriteAsync("a", 3, 4, 9, 10);
        var camera = await CameraAsync("a");
        Assert.Equal([new GapReport(1, 2, false), new GapReport(5, 8, false)], camera.Gaps);
        Assert.Equal(0, camera.ContiguousTo);
    }

    [SkippableFact]
    public async Task A_gap_the_device_reported_lost_is_explained_and_a_partly_covered_one_is_not()
    {
        Skip.If(_server is null, "PostgreSQL server not installed");
        await WriteAsync("a", 1, 5, 10);
        var heartbeat = Heartbeat(new LossRange("a", 2, 4, "retention"), new LossRange("a", 6, 7, "retention"));
        await _writer.WriteAsync([new InboundHeartbeat("d1", DateTime.UtcNow, heartbeat, "{}")], CancellationToken.None);
        Assert.Equal([new GapReport(2, 4, true), new GapReport(6, 9, false)], (await CameraAsync("a")).Gaps);
    }

    [SkippableFact]
    public async Task A_loss_range_that_grew_between_heartbeats_is_counted_once_so_a_gap_beyond_it_stays_unexplained()
    {
        Skip.If(_server is null, "PostgreSQL server not installed");
        await WriteAsync("a", 9, 10);
        // The device merges its ranges: 1..3 first, then 1..5; both rows are kept, and together they must not cover 1..8.
        foreach (var loss in new[] { new LossRange("a", 1, 3, "retention"), new LossRange("a", 1, 5, "retention") })
            await _writer.WriteAsync([new InboundHeartbeat("d1", DateTime.UtcNow, Heartbeat(loss), "{}")], CancellationToken.None);
        Assert.Equal([new GapReport(1, 8, false)], (await CameraAsync("a")).Gaps);
        await _writer.WriteAsync([new InboundHeartbeat("d1", DateTime.UtcNow, Heartbeat(new LossRange("a", 6, 8, "unstored")), "{}")], CancellationToken.None);
        Assert.Equal([new GapReport(1, 8, true)], (await CameraAsync("a")).Gaps);
    }

    [SkippableFact]
    public async Task Resend_requests_go_at_most_five_per_device_per_round_each_gap_once_per_interval()
    {
        Skip.If(_server is null, "PostgreSQL server not installed");
        await WriteAsync("a", [.. Enumerable.Range(0, 11).Select(i => 1L + 2 * i)]); // 1, 3, …, 21: ten gaps
        await FleetReportQuery.ReadAsync(_store, false, CancellationToken.None); // the ledger records them
        var requests = new ResendRequests(_store, "test");
        var first = await requests.TakeDueAsync(TimeSpan.Zero, TimeSpan.FromMinutes(10), 50, CancellationToken.None);
        var second = await requests.TakeDueAsync(TimeSpan.Zero, TimeSpan.FromMinutes(10), 50, CancellationToken.None);
        var third = await requests.TakeDueAsync(TimeSpan.Zero, TimeSpan.FromMinutes(10), 50, CancellationToken.None);
        Assert.Equal((5, 5, 0), (first.Count, second.Count, third.Count));
        Assert.Equal(Enumerable.Range(1, 10).Select(i => 2L * i), first.Concat(second).Select(r => r.FromSeq).Order());
        Assert.All(first.Concat(second), r => Assert.Equal(r.FromSeq, r.ToSeq));
    }

    [SkippableFact]
    public async Task The_same_record_twice_is_stored_once_and_counted_as_a_duplicate()
    {
        Skip.If(_server is null, "PostgreSQL server not installed");
        var id = Guid.NewGuid();
        var first = await _writer.WriteAsync([Count("a", 1, id), Count("a", 1, id)], CancellationToken.None);
        var again = await _writer.WriteAsync([Count("a", 1, id)], CancellationToken.None);
        Assert.Equal(new BatchResult(1, 1), first);
        Assert.Equal(new BatchResult(0, 1), again);
        var report = await FleetReportQuery.ReadAsync(_store, false, CancellationToken.None);
        Assert.Equal((1L, 2L), (report.Records, report.DuplicatesDropped));
        Assert.Equal(1L, await _server!.ScalarAsync("SELECT count(*) FROM line_counts"));
    }

    [SkippableFact]
    public async Task A_record_already_stored_fails_the_fast_insert_and_the_batch_is_written_again_without_it()
    {
        Skip.If(_server is null, "PostgreSQL server not installed");
        var id = Guid.NewGuid();
        Assert.Equal(new BatchResult(1, 0), await _writer.WriteAsync([Count("a", 1, id)], CancellationToken.None));
        Assert.Equal(0, _writer.DuplicateRewrites);
        // The same record again (a device that lost its PUBACK publishes it anew, without the DUP flag) with a new one.
        Assert.Equal(new BatchResult(1, 1), await _writer.WriteAsync([Count("a", 1, id), Count("a", 2)], CancellationToken.None));
        Assert.Equal(1, _writer.DuplicateRewrites);
        Assert.Equal(2L, await _server!.ScalarAsync("SELECT count(*) FROM count_windows"));
        Assert.Equal(2L, await _server.ScalarAsync("SELECT count(*) FROM line_counts"));
        Assert.Equal(2L, await _server.ScalarAsync("SELECT count(*) FROM zone_stats"));
        var camera = await CameraAsync("a");
        Assert.Equal((2L, 2L), (camera.Records, camera.LastSeq));
        Assert.Empty(camera.Gaps);
        Assert.Equal(1L, (await FleetReportQuery.ReadAsync(_store, false, CancellationToken.None)).DuplicatesDropped);
    }

    [SkippableFact]
    public async Task The_latest_heartbeat_of_a_device_wins_within_a_batch_and_across_batches()
    {
        Skip.If(_server is null, "PostgreSQL server not installed");
        var now = DateTime.UtcNow;
        InboundHeartbeat At(DateTime receivedAt, long backlog) =>
            new("d1", receivedAt, Heartbeat() with { Outbox = new OutboxPayload(backlog, null, 0, 0, 0, 0, null, null) }, $"{{\"backlog\":{backlog}}}");
        await _writer.WriteAsync([At(now, 5), At(now.AddSeconds(-1), 9)], CancellationToken.None);
        Assert.Equal(5L, await _server!.ScalarAsync("SELECT outbox_backlog FROM devices WHERE device_id = 'd1'"));
        await _writer.WriteAsync([At(now.AddSeconds(-2), 7)], CancellationToken.None); // older news, arriving late
        Assert.Equal(5L, await _server.ScalarAsync("SELECT outbox_backlog FROM devices WHERE device_id = 'd1'"));
        Assert.Equal(5L, await _server.ScalarAsync("SELECT (heartbeat->>'backlog')::bigint FROM devices WHERE device_id = 'd1'"));
        await _writer.WriteAsync([At(now.AddSeconds(1), 3)], CancellationToken.None);
        Assert.Equal(3L, await _server.ScalarAsync("SELECT outbox_backlog FROM devices WHERE device_id = 'd1'"));
    }

    [SkippableFact]
    public async Task An_audit_finds_rows_deleted_behind_the_ingests_back()
    {
        Skip.If(_server is null, "PostgreSQL server not installed");
        await WriteAsync("a", 1, 2, 3, 4, 5, 6);
        Assert.Empty((await CameraAsync("a")).Gaps);
        await _server!.ScalarAsync("DELETE FROM count_windows WHERE seq BETWEEN 2 AND 3");
        Assert.Empty((await CameraAsync("a")).Gaps); // the incremental ledger looks only at what arrives
        Assert.Equal([new GapReport(2, 3, false)], (await CameraAsync("a", audit: true)).Gaps);
    }

    [SkippableFact]
    public async Task Migrations_run_once_when_several_instances_start_together()
    {
        Skip.If(_server is null, "PostgreSQL server not installed");
        await using var fresh = await new PostgresServer().StartAsync();
        var opens = Enumerable.Range(0, 4).Select(_ => FleetStore.OpenAsync(fresh.ConnectionString(), NullLogger.Instance, CancellationToken.None)).ToList();
        foreach (var store in await Task.WhenAll(opens)) await store.DisposeAsync();
        Assert.Equal((long)Migrations.All.Count, await fresh.ScalarAsync("SELECT count(*) FROM schema_migrations"));
    }

    private static HeartbeatPayload Heartbeat(params LossRange[] losses) => new("d1", DateTimeOffset.UtcNow, "t", "1", DateTimeOffset.UtcNow, 1,
        new SystemPayload(null, 2, 1, null, []), [], [], 0, new OutboxPayload(0, null, 0, 5, 0, 0, null, null) { Losses = losses }, null,
        new HealthPayload("healthy", null), new ThermalPayload(null, null, 80, 0, 100), new ClockPayload(true), new SecurityPayload(true));

    public async Task DisposeAsync()
    {
        if (_server is null) return;
        await _store.DisposeAsync();
        await _server.DisposeAsync();
    }
}
