using Npgsql;
using Prometheus;
using WorkerPool.Fleet.Storage;

namespace WorkerPool.Fleet.Serve;

/// <summary>
/// The fleet's Prometheus metrics (<c>workerpool_fleet_…</c>), read from the database at each scrape: devices online,
/// records ingested, ingest lag, unexplained gaps, and per device what the alerts look at.
/// </summary>
internal sealed class FleetMetrics
{
    private const string TotalsSql = """
        SELECT (SELECT count(*) FROM devices)::double precision,
               (SELECT count(*) FROM devices WHERE status = 'online')::double precision,
               (SELECT coalesce(sum(records), 0) FROM ingest_counters)::double precision,
               (SELECT coalesce(sum(duplicates), 0) FROM ingest_counters)::double precision,
               (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM received_at - window_end))
                FROM count_windows WHERE received_at > now() - interval '5 minutes')::double precision
        """;

    private readonly Gauge _devices, _online, _lag, _gaps, _missing, _deviceOnline, _heartbeatAge, _backlog, _dropped, _reconnecting;
    private readonly Counter _records, _duplicates;

    public FleetMetrics(CollectorRegistry registry, FleetStore store, DashboardQueries queries)
    {
        var f = Metrics.WithCustomRegistry(registry);
        _devices = f.CreateGauge("workerpool_fleet_devices", "Devices the fleet has heard from.");
        _online = f.CreateGauge("workerpool_fleet_devices_online", "Devices whose retained status is online.");
        _records = f.CreateCounter("workerpool_fleet_records_ingested_total", "Count records stored, all ingest instances together.");
        _duplicates = f.CreateCounter("workerpool_fleet_duplicates_dropped_total", "Count records received again (redeliveries, resends) and dropped.");
        _lag = f.CreateGauge("workerpool_fleet_ingest_lag_seconds", "Median time from a window's end to its record being stored, over the last 5 minutes (NaN: no records).");
        _gaps = f.CreateGauge("workerpool_fleet_unexplained_gaps", "Seq gaps no device explained.");
        _missing = f.CreateGauge("workerpool_fleet_unexplained_missing_records", "Records missing in unexplained gaps.");
        _deviceOnline = f.CreateGauge("workerpool_fleet_device_online", "1 when the device's retained status is online.", "device");
        _heartbeatAge = f.CreateGauge("workerpool_fleet_device_heartbeat_age_seconds", "Seconds since the device's last heartbeat arrived.", "device");
        _backlog = f.CreateGauge("workerpool_fleet_device_outbox_backlog", "Records waiting in the device's outbox, from its last heartbeat.", "device");
        _dropped = f.CreateGauge("workerpool_fleet_device_dropped_by_retention", "Records the device's outbox limits dropped, since it was created.", "device");
        _reconnecting = f.CreateGauge("workerpool_fleet_camera_reconnecting", "1 when the camera was reconnecting at the device's last heartbeat.", "device", "camera");
        registry.AddBeforeCollectCallback(async token =>
        {
            await using (var command = store.Db.CreateCommand(TotalsSql))
            await using (var r = await command.ExecuteReaderAsync(token).ConfigureAwait(false))
            {
                await r.ReadAsync(token).ConfigureAwait(false);
                _devices.Set(r.GetDouble(0));
                _online.Set(r.GetDouble(1));
                _records.IncTo(r.GetDouble(2));
                _duplicates.IncTo(r.GetDouble(3));
                _lag.Set(r.IsDBNull(4) ? double.NaN : r.GetDouble(4));
            }
            var gaps = await queries.UnexplainedGapsAsync(token).ConfigureAwait(false);
            _gaps.Set(gaps.Count);
            _missing.Set(gaps.Sum(g => g.To - g.From + 1));
            foreach (var d in await queries.DevicesAsync(token).ConfigureAwait(false))
            {
                _deviceOnline.WithLabels(d.Device).Set(d.Status == "online" ? 1 : 0);
                _heartbeatAge.WithLabels(d.Device).Set(d.HeartbeatAgeSeconds ?? double.NaN);
                _backlog.WithLabels(d.Device).Set(d.OutboxBacklog ?? 0);
                _dropped.WithLabels(d.Device).Set(d.DroppedByRetention ?? 0);
                foreach (var c in d.Cameras) _reconnecting.WithLabels(d.Device, c.Id).Set(c.State == "reconnecting" ? 1 : 0);
            }
        });
    }
}
