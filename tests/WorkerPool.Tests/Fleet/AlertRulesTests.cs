using WorkerPool.Fleet.Serve;

namespace WorkerPool.Tests.Fleet;

public class AlertRulesTests
{
    private static DeviceRow Device(string id, string status = "online", double age = 10, long? backlog = 0, long? prev = 0, long dropped = 0,
        params CameraState[] cameras) =>
        new(id, status, status == "offline" ? "lost" : null, DateTime.UtcNow, age, "healthy", null, 40, 0, backlog, prev, "1", dropped, "v", cameras);

    private static List<string> Kinds(params DeviceRow[] devices) =>
        [.. AlertRules.Evaluate(devices, [], AlertThresholds.Default).Select(a => $"{a.Kind}:{a.Device}{(a.Camera is null ? "" : "/" + a.Camera)}")];

    [Fact]
    public void A_healthy_online_device_raises_nothing() => Assert.Empty(Kinds(Device("a")));

    [Fact]
    public void An_offline_device_is_flagged_offline_and_not_also_stale() =>
        Assert.Equal(["offline:a"], Kinds(Device("a", status: "offline", age: 9999)));

    [Fact]
    public void An_online_device_whose_heartbeat_is_older_than_the_threshold_is_stale() =>
        Assert.Equal(["stale-heartbeat:a"], Kinds(Device("a", age: 181)));

    [Fact]
    public void A_backlog_is_flagged_only_when_it_is_large_enough_and_grew_since_the_heartbeat_before()
    {
        Assert.Equal(["backlog-growing:a"], Kinds(Device("a", backlog: 12, prev: 8)));
        Assert.Empty(Kinds(Device("a", backlog: 12, prev: 20))); // draining
        Assert.Empty(Kinds(Device("a", backlog: 3, prev: 1)));   // too small to matter
        Assert.Empty(Kinds(Device("a", backlog: 12, prev: null))); // one heartbeat is no trend
    }

    [Fact]
    public void Drops_by_retention_and_reconnecting_cameras_are_flagged_each()
    {
        Assert.Equal(["dropped-by-retention:a"], Kinds(Device("a", dropped: 4)));
        Assert.Equal(["camera-reconnecting:a/c2"],
            Kinds(Device("a", cameras: [new CameraState("c1", "connected", null), new CameraState("c2", "reconnecting", "timeout")])));
    }

    [Fact]
    public void Unexplained_gaps_raise_one_alert_per_camera_with_the_missing_count()
    {
        var alerts = AlertRules.Evaluate([], [("a", "c1", 3, 5), ("a", "c1", 9, 9), ("b", "c1", 1, 1)], AlertThresholds.Default);
        Assert.Equal(2, alerts.Count);
        Assert.Equal("4 records missing in 2 gaps, first 3..5", alerts.Single(a => a.Device == "a").Detail);
    }
}
