namespace WorkerPool.Contracts;

/// <summary>Everything counted on one camera in one wall-clock window. This is what the outbox stores and MQTT carries.</summary>
public sealed class CountRecord
{
    /// <summary>Unique id of this record (UUID), stable across re-sends: consumers drop duplicates by it.</summary>
    public string MessageId { get; set; } = "";

    /// <summary>Per-camera sequence number from 1, without gaps, continuing across restarts.</summary>
    public long Seq { get; set; }

    /// <summary>Device id.</summary>
    public string DeviceId { get; set; } = "";

    /// <summary>Camera id.</summary>
    public string CameraId { get; set; } = "";

    /// <summary>Window start (inclusive), UTC, a multiple of the window length since the epoch.</summary>
    public DateTimeOffset WindowStart { get; set; }

    /// <summary>Window end (exclusive), UTC.</summary>
    public DateTimeOffset WindowEnd { get; set; }

    /// <summary>Frames that went through inference in the window.</summary>
    public long FramesProcessed { get; set; }

    /// <summary>Frames dropped because the pool fell behind.</summary>
    public long FramesDropped { get; set; }

    /// <summary>Frames whose inference failed or timed out.</summary>
    public long FramesFailed { get; set; }

    /// <summary>Crossings per line id.</summary>
    public Dictionary<string, LineCount> Lines { get; set; } = [];

    /// <summary>Occupancy per zone id.</summary>
    public Dictionary<string, ZoneOccupancy> Zones { get; set; } = [];

    /// <summary>
    /// False when the device's clock was not synchronised (no NTP yet, a board without a real-time clock) when the
    /// window closed: its window times may be wrong by as much as the clock was.
    /// </summary>
    public bool ClockSynced { get; set; } = true;

    /// <summary>
    /// True for a window the device closed at start from its last checkpoint, after the process that counted it
    /// stopped without closing it (a crash, <c>kill -9</c>, a power cut): it holds what was counted up to that
    /// checkpoint, at most <c>counting.checkpointSeconds</c> before the stop. Like any split window, sum it with the
    /// window's other records.
    /// </summary>
    public bool Partial { get; set; }

    /// <summary>
    /// True for the first window a camera counted after the service (or that camera's pipeline) started: tracks need
    /// a few frames to be confirmed, so its occupancy starts low and a crossing under way at the start may be
    /// missed. A dashboard showing "people in the room now" waits for the next window; sums take it as it is.
    /// </summary>
    public bool WarmingUp { get; set; }
}

/// <summary>Crossings of one line.</summary>
public sealed record LineCount(long In, long Out);

/// <summary>Occupancy of one zone over a window (over processed frames).</summary>
public sealed record ZoneOccupancy(double Mean, int Min, int Max);
