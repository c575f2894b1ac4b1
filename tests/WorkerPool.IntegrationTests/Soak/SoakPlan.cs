namespace WorkerPool.IntegrationTests.Soak;

/// <summary>One kind of fault the soak injects.</summary>
public enum Fault
{
    /// <summary>The broker stopped (SIGTERM, it keeps its sessions) and started again at once.</summary>
    BrokerRestart,
    /// <summary>The RTSP server killed and started again at once.</summary>
    RtspRestart,
    /// <summary>The <c>restart-camera</c> command, alternately for each camera.</summary>
    RestartCamera,
    /// <summary>The outbox's file system filled up for a while (a tmpfs; needs root, else skipped).</summary>
    DiskFull,
    /// <summary>A remote desired config: alternately a moved line (in place) and a source change (the RTSP camera restarts).</summary>
    ConfigChange,
    /// <summary>The service killed with SIGKILL and started again at once.</summary>
    Kill9,
}

/// <summary>A fault at a time since the start of the run.</summary>
public sealed record SoakEvent(TimeSpan At, Fault Fault);

/// <summary>
/// The soak's fault schedule: every 3 min a broker restart, every 4 min an RTSP server restart, every 5 min a
/// <c>restart-camera</c>, every 7 min a remote config change, one full disk for 60 s and one <c>kill -9</c>, over the
/// run; scaled down (<see cref="Scale"/>) for the 3-minute CI version. The kill comes first, so the rest of the run
/// shows one process's memory from start to end.
/// </summary>
/// <param name="Duration">Faults are injected over this long; then the service is stopped and everything must have arrived.</param>
/// <param name="Scale">1 for the real schedule; 0.1 puts ten times as many faults into the same time.</param>
/// <param name="WindowSeconds">Count window length.</param>
/// <param name="HeartbeatSeconds">Heartbeat interval.</param>
/// <param name="DiskFullFor">How long the disk stays full.</param>
/// <param name="WarmUp">Resources are compared from this long after the (last) start of the service to the end.</param>
public sealed record SoakPlan(TimeSpan Duration, double Scale, int WindowSeconds, int HeartbeatSeconds, TimeSpan DiskFullFor, TimeSpan WarmUp)
{
    /// <summary>The schedule over <paramref name="duration"/> (30 minutes by default).</summary>
    public static SoakPlan Full(TimeSpan duration) => new(duration, 1, 10, 5, TimeSpan.FromSeconds(60), TimeSpan.FromMinutes(8));

    /// <summary>The same schedule in 3 minutes, for CI.</summary>
    public static SoakPlan Ci { get; } = new(TimeSpan.FromMinutes(3), 0.1, 2, 2, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(60));

    /// <summary>Every fault, in time order.</summary>
    public IReadOnlyList<SoakEvent> Schedule()
    {
        var events = new List<SoakEvent> { new(Scaled(2), Fault.Kill9), new(Scaled(13.5), Fault.DiskFull) };
        void Every(double minutes, Fault fault)
        {
            for (double t = minutes; Scaled(t) < Duration; t += minutes) events.Add(new(Scaled(t), fault));
        }
        Every(3, Fault.BrokerRestart);
        Every(4, Fault.RtspRestart);
        Every(5, Fault.RestartCamera);
        Every(7, Fault.ConfigChange);
        return [.. events.Where(e => e.At < Duration).OrderBy(e => e.At)];
    }

    private TimeSpan Scaled(double minutes) => TimeSpan.FromMinutes(minutes * Scale);
}
