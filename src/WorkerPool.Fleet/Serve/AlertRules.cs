namespace WorkerPool.Fleet.Serve;

/// <summary>Thresholds for the alerts TELEMETRY.md suggests.</summary>
/// <param name="StaleHeartbeat">A device online whose last heartbeat is older than this.</param>
/// <param name="BacklogAtLeast">A growing backlog is flagged from this many records waiting.</param>
internal sealed record AlertThresholds(TimeSpan StaleHeartbeat, long BacklogAtLeast)
{
    public static AlertThresholds Default { get; } = new(TimeSpan.FromMinutes(3), 5);
}

/// <summary>Turns the fleet table and the ledger into alerts: pure, so each rule is tested on its own.</summary>
internal static class AlertRules
{
    public static IReadOnlyList<Alert> Evaluate(IReadOnlyList<DeviceRow> devices, IReadOnlyList<(string Device, string Camera, long From, long To)> gaps,
        AlertThresholds thresholds)
    {
        var alerts = new List<Alert>();
        foreach (var d in devices)
        {
            if (d.Status == "offline")
                alerts.Add(new Alert("offline", d.Device, null, d.StatusReason is { } reason ? $"offline ({reason})" : "offline"));
            else if (d.HeartbeatAgeSeconds is { } age && age > thresholds.StaleHeartbeat.TotalSeconds)
                alerts.Add(new Alert("stale-heartbeat", d.Device, null, $"last heartbeat {age:0} s ago"));
            if (d.OutboxBacklog is { } backlog && backlog >= thresholds.BacklogAtLeast && d.OutboxBacklogPrev is { } prev && backlog > prev)
                alerts.Add(new Alert("backlog-growing", d.Device, null, $"{backlog} records waiting, {backlog - prev} more than the heartbeat before"));
            if (d.DroppedByRetention is > 0)
                alerts.Add(new Alert("dropped-by-retention", d.Device, null, $"{d.DroppedByRetention} records dropped by the outbox limits"));
            foreach (var c in d.Cameras.Where(c => c.State == "reconnecting"))
                alerts.Add(new Alert("camera-reconnecting", d.Device, c.Id, c.LastError ?? "reconnecting"));
        }
        foreach (var g in gaps.GroupBy(g => (g.Device, g.Camera)))
        {
            long missing = g.Sum(x => x.To - x.From + 1);
            alerts.Add(new Alert("unexplained-gap", g.Key.Device, g.Key.Camera,
                $"{missing} records missing in {g.Count()} gaps, first {g.First().From}..{g.First().To}"));
        }
        return alerts;
    }
}
