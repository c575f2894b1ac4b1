using WorkerPool.Contracts;

namespace WorkerPool.Counting;

/// <summary>
/// Accumulates one camera's counts into windows aligned to wall-clock multiples of the window length, and closes
/// a window when a frame from a later window arrives or the clock passes its end (so a dead camera still reports).
/// </summary>
public sealed class WindowAggregator
{
    private readonly string _deviceId, _cameraId;
    private readonly TimeSpan _length;
    private readonly string[] _lineIds, _zoneIds;
    private readonly long[] _in, _out;
    private readonly OccupancyStats[] _zones;
    private readonly int[] _lastOccupancy;
    private long _processed, _dropped, _failed;
    private DateTimeOffset _start = DateTimeOffset.MinValue;
    private bool _warmingUp = true;

    /// <summary>Creates an aggregator for one camera's lines and zones.</summary>
    public WindowAggregator(string deviceId, string cameraId, int windowSeconds, IReadOnlyList<string> lineIds, IReadOnlyList<string> zoneIds)
    {
        _deviceId = deviceId;
        _cameraId = cameraId;
        _length = TimeSpan.FromSeconds(windowSeconds);
        _lineIds = [.. lineIds];
        _zoneIds = [.. zoneIds];
        _in = new long[_lineIds.Length];
        _out = new long[_lineIds.Length];
        _zones = new OccupancyStats[_zoneIds.Length];
        _lastOccupancy = new int[_zoneIds.Length];
    }

    /// <summary>
    /// Rises with every change a checkpoint must not lose: a crossing, or a zone's occupancy differing from the
    /// frame before. Never reset, so a checkpoint compares it with the value it saw last.
    /// </summary>
    public long CountChanges { get; private set; }

    /// <summary>Rises with every frame tallied (processed, dropped or failed); never reset.</summary>
    public long FrameChanges { get; private set; }

    /// <summary>Window length.</summary>
    public TimeSpan Length => _length;

    /// <summary>Start of the open window, or <see cref="DateTimeOffset.MinValue"/> before the first frame.</summary>
    public DateTimeOffset WindowStart => _start;

    /// <summary>Aligned start of the window that contains <paramref name="time"/>.</summary>
    public DateTimeOffset Align(DateTimeOffset time)
    {
        long ticks = time.UtcTicks - time.UtcTicks % _length.Ticks;
        return new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    /// <summary>Moves to the window containing <paramref name="time"/>, returning the record of the window it closes, if any.</summary>
    public CountRecord? Advance(DateTimeOffset time)
    {
        var start = Align(time);
        if (_start == DateTimeOffset.MinValue) { _start = start; return null; }
        if (start <= _start) return null;
        var record = Close();
        _start = start;
        return record;
    }

    /// <summary>Adds a frame that went through inference, with per-zone occupancy.</summary>
    public void AddProcessed(ReadOnlySpan<int> zoneOccupancy)
    {
        _processed++;
        FrameChanges++;
        for (int z = 0; z < _zones.Length; z++)
        {
            // A steady scene leaves mean, min and max where they are: only a change needs a prompt checkpoint.
            if (_zones[z].Frames == 0 || zoneOccupancy[z] != _lastOccupancy[z]) CountChanges++;
            _lastOccupancy[z] = zoneOccupancy[z];
            _zones[z].Add(zoneOccupancy[z]);
        }
    }

    /// <summary>Adds a dropped frame.</summary>
    public void AddDropped()
    {
        _dropped++;
        FrameChanges++;
    }

    /// <summary>Adds a failed frame.</summary>
    public void AddFailed()
    {
        _failed++;
        FrameChanges++;
    }

    /// <summary>Adds a crossing of line <paramref name="line"/> (+1 in, -1 out).</summary>
    public void AddCrossing(int line, int direction)
    {
        if (direction > 0) _in[line]++;
        else if (direction < 0) _out[line]++;
        else return;
        CountChanges++;
    }

    /// <summary>The open window's counts so far, as the record it would close to (nothing is reset), or null when none is open.</summary>
    public CountRecord? Peek() => _start == DateTimeOffset.MinValue ? null : ToRecord();

    /// <summary>Closes the open window now (shutdown), or returns null when none is open.</summary>
    public CountRecord? Flush()
    {
        if (_start == DateTimeOffset.MinValue) return null;
        var record = Close();
        _start = DateTimeOffset.MinValue;
        return record;
    }

    private CountRecord Close()
    {
        var record = ToRecord();
        // Warm once a window saw frames: one the camera delivered nothing in has no tracks to warm up.
        if (_processed > 0) _warmingUp = false;
        Array.Clear(_in);
        Array.Clear(_out);
        Array.Clear(_zones);
        _processed = _dropped = _failed = 0;
        return record;
    }

    private CountRecord ToRecord()
    {
        var record = new CountRecord
        {
            DeviceId = _deviceId,
            CameraId = _cameraId,
            WindowStart = _start,
            WindowEnd = _start + _length,
            FramesProcessed = _processed,
            FramesDropped = _dropped,
            FramesFailed = _failed,
            WarmingUp = _warmingUp,
        };
        for (int l = 0; l < _lineIds.Length; l++) record.Lines[_lineIds[l]] = new LineCount(_in[l], _out[l]);
        for (int z = 0; z < _zoneIds.Length; z++)
            record.Zones[_zoneIds[z]] = new ZoneOccupancy(Math.Round(_zones[z].Mean, 3), _zones[z].Min, _zones[z].Max);
        return record;
    }
}
