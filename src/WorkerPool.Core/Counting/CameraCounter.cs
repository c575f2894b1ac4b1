using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Diagnostics;
using WorkerPool.Gate;
using WorkerPool.Geometry;
using WorkerPool.Inference;
using WorkerPool.Tracking;

namespace WorkerPool.Counting;

/// <summary>Sees every frame after tracking (replay's --frames-out and --annotate use it).</summary>
public interface IFrameObserver
{
    /// <summary>Called in frame order with the frame's result, its confirmed tracks and per-zone occupancy.</summary>
    void OnFrame(InferenceResult result, IReadOnlyList<Track> tracks, ReadOnlySpan<int> zoneOccupancy);

    /// <summary>Called as a line counts a crossing (before that frame's <see cref="OnFrame"/>): <c>evaluate</c> matches them to the ground truth's.</summary>
    /// <param name="direction">+1 for <c>in</c>, -1 for <c>out</c>.</param>
    void OnCrossing(InferenceResult result, string lineId, int direction, int trackId) { }
}

/// <summary>
/// One camera's counting stage: every admitted frame's answer (the pool's result, or the queue's drop) back in
/// admission order, ByteTrack, line crossings and zone occupancy on feet points, and wall-clock windows; each closed
/// window goes to the records channel, and so does a checkpoint of the open window while it changes (see
/// <see cref="CheckpointSchedule"/>). Thread-safe (results, drops and clock ticks come from different threads).
/// </summary>
public sealed class CameraCounter
{
    private readonly object _lock = new();
    private readonly ReorderBuffer<Answer> _reorder = new();
    private readonly ByteTracker _tracker;
    private LineCounter[] _lines;
    private ZoneCounter[] _zones;
    private readonly string _deviceId;
    private OccupancyStats[] _zoneTotals;
    private int[] _occupancy;
    private WindowAggregator _window;
    private readonly ChannelWriter<CountOutput> _records;
    private readonly CheckpointSchedule _checkpoints;
    private readonly ILogger _logger;
    private long _lastProcessedAdmit = -1;
    private readonly List<(int Id, BoxF Box)> _current = [];

    /// <summary>Creates the counting stage of one camera.</summary>
    /// <param name="records">Where closed windows and checkpoints go; unbounded, and completed only once nothing counts any more.</param>
    /// <param name="logger">Logs each crossing at Debug (category <c>WorkerPool.Counting</c>).</param>
    public CameraCounter(string deviceId, CameraOptions camera, TrackerOptions tracker, CountingOptions counting, ChannelWriter<CountOutput> records,
        ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
        CameraId = camera.Id;
        _deviceId = deviceId;
        _tracker = new ByteTracker(tracker);
        _lines = camera.Lines.Select(l => new LineCounter(l, counting.LineHysteresis, counting.BandBirthCrossings)).ToArray();
        _zones = camera.Zones.Select(z => new ZoneCounter(z)).ToArray();
        _zoneTotals = new OccupancyStats[_zones.Length];
        _occupancy = new int[_zones.Length];
        _window = new WindowAggregator(deviceId, camera.Id, counting.WindowSeconds, camera.Lines.Select(l => l.Id).ToArray(), camera.Zones.Select(z => z.Id).ToArray());
        _records = records;
        _checkpoints = new CheckpointSchedule(TimeSpan.FromSeconds(counting.CheckpointSeconds));
    }

    /// <summary>Camera id.</summary>
    public string CameraId { get; }

    /// <summary>Optional per-frame observer.</summary>
    public IFrameObserver? Observer { get; set; }

    /// <summary>Frames that went through inference since start.</summary>
    public long FramesProcessed { get; private set; }

    /// <summary>Frames dropped or failed since start.</summary>
    public long FramesLost { get; private set; }

    /// <summary>The line counters (their totals run since start).</summary>
    public IReadOnlyList<LineCounter> Lines => _lines;

    /// <summary>The zones.</summary>
    public IReadOnlyList<ZoneCounter> Zones => _zones;

    /// <summary>Occupancy statistics of each zone since start.</summary>
    public ReadOnlySpan<OccupancyStats> ZoneTotals => _zoneTotals;

    /// <summary>The totals since start, as an immutable record.</summary>
    public CountTotals Totals()
    {
        lock (_lock)
        {
            var lines = _lines.Select(l => new LineTotal(l.Id, l.In, l.Out)).ToArray();
            var zones = new ZoneTotal[_zones.Length];
            for (int z = 0; z < zones.Length; z++) zones[z] = new ZoneTotal(_zones[z].Id, _zoneTotals[z].Mean, _zoneTotals[z].Max);
            return new CountTotals(FramesProcessed, FramesLost, lines, zones);
        }
    }

    /// <summary>The tracks of the latest processed frame (ids and boxes), for snapshots.</summary>
    public IReadOnlyList<(int Id, BoxF Box)> CurrentTracks()
    {
        lock (_lock) return [.. _current];
    }

    /// <summary>Accepts the pool's result for a frame, in any order; answers are counted in admission order. Takes ownership of it.</summary>
    public void Accept(InferenceResult result)
    {
        lock (_lock)
        {
            if (!_reorder.TryAdd(result.Admit, new Answer(result.CaptureTime, result)))
            {
                result.Return(); // a duplicate: its frame was already counted
                return;
            }
            CountInOrder();
        }
    }

    /// <summary>Accepts the queue's drop of a frame, in any order; it counts as dropped in the window of its capture time.</summary>
    public void Accept(DroppedFrame dropped)
    {
        lock (_lock)
        {
            if (_reorder.TryAdd(dropped.Admit, new Answer(dropped.CaptureTime, null))) CountInOrder();
        }
    }

    /// <summary>
    /// Takes new lines, zones, window and tracker settings at the next frame, without touching the camera or the
    /// tracks.
    /// Lines and zones moved under the same ids (same window length) keep the open window's counts; otherwise the
    /// open window is closed and stored first (so its counts are not lost) and a new one starts. Tracks must be
    /// seen on a side of a moved line before they can cross it, so moving a line never counts by itself.
    /// </summary>
    public void Reconfigure(CameraOptions camera, CountingOptions counting, TrackerOptions? tracker = null)
    {
        lock (_lock)
        {
            if (tracker is not null) _tracker.Options = tracker;
            _checkpoints.Every = TimeSpan.FromSeconds(counting.CheckpointSeconds);
            bool sameShape = camera.Lines.Select(l => l.Id).SequenceEqual(_lines.Select(l => l.Id))
                && camera.Zones.Select(z => z.Id).SequenceEqual(_zones.Select(z => z.Id))
                && _window.Length == TimeSpan.FromSeconds(counting.WindowSeconds);
            _lines = camera.Lines.Select(l => new LineCounter(l, counting.LineHysteresis, counting.BandBirthCrossings)).ToArray();
            _zones = camera.Zones.Select(z => new ZoneCounter(z)).ToArray();
            if (sameShape) return;
            if (_window.Flush() is { } record) Store(record);
            _window = new WindowAggregator(_deviceId, CameraId, counting.WindowSeconds, camera.Lines.Select(l => l.Id).ToArray(), camera.Zones.Select(z => z.Id).ToArray());
            _checkpoints.Reset();
            _zoneTotals = new OccupancyStats[_zones.Length];
            _occupancy = new int[_zones.Length];
        }
    }

    /// <summary>
    /// Closes the open window if the clock has passed its end by more than <paramref name="grace"/>, and checkpoints
    /// the open one when its schedule says so.
    /// </summary>
    public void Tick(DateTimeOffset now, TimeSpan grace)
    {
        lock (_lock)
        {
            if (_window.WindowStart == DateTimeOffset.MinValue) _window.Advance(now);
            else if (_window.Align(now - grace) > _window.WindowStart && _window.Advance(now - grace) is { } record) Store(record);
            if (_checkpoints.Due(_window, now) && _window.Peek() is { } open) _records.TryWrite(CountOutput.Checkpoint(open));
        }
    }

    /// <summary>Closes the open window now (clean shutdown).</summary>
    public void Flush()
    {
        lock (_lock)
        {
            if (_window.Flush() is { } record) Store(record);
        }
    }

    // The channel is unbounded and completed only after the last Flush, so a write is never refused.
    private void Store(CountRecord record) => _records.TryWrite(CountOutput.Closed(record));

    private void CountInOrder()
    {
        while (_reorder.TryTakeNext(out var answer)) Count(answer);
    }

    private void Count(Answer answer)
    {
        try
        {
            if (_window.Advance(answer.CaptureTime) is { } closed) Store(closed);
            if (answer.Result is not { } r)
            {
                _window.AddDropped();
                FramesLost++;
            }
            else if (r.Outcome == FrameOutcome.Processed) Track(r);
            else
            {
                _window.AddFailed();
                FramesLost++;
            }
        }
        finally
        {
            answer.Result?.Return();
        }
    }

    private void Track(InferenceResult r)
    {
        int steps = _lastProcessedAdmit < 0 ? 1 : (int)Math.Min(r.Admit - _lastProcessedAdmit, 100);
        _lastProcessedAdmit = r.Admit;
        var tracks = _tracker.Update(r.Detections, r.MediaSeconds, steps);
        foreach (int removed in _tracker.RemovedIds)
            foreach (var line in _lines) line.Forget(removed);

        Array.Clear(_occupancy);
        double w = Math.Max(1, r.FrameWidth), h = Math.Max(1, r.FrameHeight);
        foreach (var track in tracks)
        {
            var feet = new Point2(track.Feet.X / w, track.Feet.Y / h);
            for (int l = 0; l < _lines.Length; l++)
            {
                int direction = _lines[l].Observe(track.Id, feet, track.Jumped);
                if (direction == 0) continue;
                _window.AddCrossing(l, direction);
                Log.LineCrossed(_logger, CameraId, _lines[l].Id, direction > 0 ? "in" : "out", track.Id);
                Observer?.OnCrossing(r, _lines[l].Id, direction, track.Id);
            }
            for (int z = 0; z < _zones.Length; z++)
                if (_zones[z].Contains(feet)) _occupancy[z]++;
        }
        _current.Clear();
        foreach (var track in tracks) _current.Add((track.Id, track.Box));
        for (int z = 0; z < _zones.Length; z++) _zoneTotals[z].Add(_occupancy[z]);
        _window.AddProcessed(_occupancy);
        FramesProcessed++;
        Observer?.OnFrame(r, tracks, _occupancy);
    }

    /// <summary>One admitted frame's answer as the reorder buffer holds it: the pool's result, or null for a drop.</summary>
    private readonly record struct Answer(DateTimeOffset CaptureTime, InferenceResult? Result);
}
