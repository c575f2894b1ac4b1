using WorkerPool.Config;
using WorkerPool.Geometry;
using WorkerPool.Inference;

namespace WorkerPool.Tracking;

/// <summary>
/// ByteTrack-style multi-object tracker for one camera: Kalman prediction, then IoU association of high-score
/// detections with all tracks, then of low-score detections with the still-unmatched live tracks, then new tracks
/// from confident leftovers. Lost tracks are kept for <see cref="TrackerOptions.LostSeconds"/> of media time.
/// Frames must come in order. Reuses its lists; nothing is allocated per frame beyond new tracks.
/// </summary>
public sealed class ByteTracker
{
    private TrackerOptions _options;
    private readonly List<Track> _tracks = [];
    private readonly List<Track> _candidates = [];
    private readonly List<Track> _output = [];
    private readonly List<int> _removed = [];
    private readonly List<Detection> _high = [], _low = [], _left = [];
    private readonly LinearAssignment _solver = new();
    private double[] _cost = new double[256];
    private int[] _match = new int[64];
    private bool[] _detUsed = new bool[64];
    private int _nextId = 1;
    private long _frames;

    /// <summary>Creates a tracker.</summary>
    public ByteTracker(TrackerOptions options) => _options = options;

    /// <summary>Thresholds and buffers; replaceable between frames (tracks are kept).</summary>
    public TrackerOptions Options { get => _options; set => _options = value; }

    /// <summary>Ids of tracks removed by the latest <see cref="Update"/>.</summary>
    public IReadOnlyList<int> RemovedIds => _removed;

    /// <summary>
    /// Feeds one frame's detections. <paramref name="steps"/> is how many frames passed since the previous
    /// update (more than 1 when frames were dropped). Returns the confirmed tracks matched in this frame.
    /// </summary>
    public IReadOnlyList<Track> Update(List<Detection> detections, double seconds, int steps = 1)
    {
        _frames++;
        _removed.Clear();
        _high.Clear();
        _low.Clear();
        foreach (var d in detections)
            (d.Score >= _options.HighThreshold ? _high : _low).Add(d);

        foreach (var t in _tracks)
            for (int s = 0; s < Math.Max(1, steps); s++) t.Filter.Predict(freezeHeightVelocity: t.State == TrackState.Lost);
        foreach (var t in _tracks)
        {
            t.Box = t.Filter.Box;
            t.Jumped = false;
        }

        // 1. Confirmed tracks (live or lost) with high-score detections by IoU; then lost ones by distance.
        _candidates.Clear();
        foreach (var t in _tracks) if (t.IsConfirmed) _candidates.Add(t);
        Associate(_candidates, _high, _options.MatchIou, byDistance: false, seconds, _left);
        _high.Clear();
        _high.AddRange(_left);
        // A person lost in an occlusion often changed pace behind it, so its prediction no longer overlaps where it
        // reappears. Lost tracks get a second chance on leftover confident detections by centre distance (in track
        // heights): a re-found track keeps its id, and so its side of every counting line.
        _candidates.RemoveAll(t => t.State != TrackState.Lost || t.LastFrame == _frames);
        if (_options.LostReidHeights > 0) Associate(_candidates, _high, _options.LostReidHeights, byDistance: true, seconds, _left);
        else { _left.Clear(); _left.AddRange(_high); }
        _candidates.Clear();
        foreach (var t in _tracks) if (t.IsConfirmed) _candidates.Add(t);

        // 2. Live confirmed tracks still unmatched, with low-score detections; the rest become lost.
        // Keep the high-score leftovers for step 3 before _left is reused.
        _high.Clear();
        _high.AddRange(_left);
        _candidates.RemoveAll(t => t.State != TrackState.Tracked || t.LastFrame == _frames);
        Associate(_candidates, _low, _options.LowMatchIou, byDistance: false, seconds, _left);
        foreach (var t in _candidates) if (t.LastFrame != _frames) t.State = TrackState.Lost;

        // 3. Unconfirmed tracks (seen once) with the remaining high-score detections; unmatched ones die.
        _candidates.Clear();
        foreach (var t in _tracks) if (!t.IsConfirmed) _candidates.Add(t);
        Associate(_candidates, _high, _options.UnconfirmedMatchIou, byDistance: false, seconds, _left);
        foreach (var t in _candidates)
        {
            if (t.LastFrame == _frames) t.IsConfirmed = true;
            else t.State = TrackState.Removed;
        }

        // 4. New tracks from confident leftovers; the very first frame confirms at once, as ByteTrack does.
        foreach (var d in _left)
        {
            if (d.Score < _options.NewTrackThreshold) continue;
            _tracks.Add(new Track(_nextId++, d.Box, d.Score, seconds) { IsConfirmed = _frames == 1, LastFrame = _frames });
        }

        // 5. Forget tracks lost for too long.
        foreach (var t in _tracks)
            if (t.State == TrackState.Lost && seconds - t.LastSeenSeconds > _options.LostSeconds) t.State = TrackState.Removed;
        for (int i = _tracks.Count - 1; i >= 0; i--)
        {
            if (_tracks[i].State != TrackState.Removed) continue;
            if (_tracks[i].IsConfirmed) _removed.Add(_tracks[i].Id);
            _tracks.RemoveAt(i);
        }

        _output.Clear();
        foreach (var t in _tracks)
            if (t.IsConfirmed && t.State == TrackState.Tracked && t.LastFrame == _frames) _output.Add(t);
        return _output;
    }

    /// <summary>All tracks alive now, including lost ones (for drawing and diagnostics).</summary>
    public IReadOnlyList<Track> AllTracks => _tracks;

    /// <summary>
    /// Whether a lost track re-found at <paramref name="found"/> moved farther since it was last seen than a person
    /// walks (<see cref="TrackerOptions.MaxSpeedHeightsPerSecond"/> of its heights per second, plus half a height of
    /// box noise); 0 turns the check off.
    /// </summary>
    private bool Jump(Track t, in BoxF found, double seconds)
    {
        if (_options.MaxSpeedHeightsPerSecond <= 0) return false;
        var (a, b) = (t.LastMeasured.Feet, found.Feet);
        double moved = Math.Sqrt((a.X - b.X) * (a.X - b.X) + (a.Y - b.Y) * (a.Y - b.Y)) / Math.Max(1, t.LastMeasured.Height);
        return moved > _options.MaxSpeedHeightsPerSecond * Math.Max(0, seconds - t.LastSeenSeconds) + 0.5;
    }

    /// <summary>Distance between box centres in units of the track's height (scale-free across the frame).</summary>
    private static double CenterDistance(in BoxF track, in BoxF det)
    {
        double dx = (track.X1 + track.X2 - det.X1 - det.X2) / 2, dy = (track.Y1 + track.Y2 - det.Y1 - det.Y2) / 2;
        return Math.Sqrt(dx * dx + dy * dy) / Math.Max(1, track.Height);
    }

    /// <summary>
    /// Matches tracks to detections by IoU (minimum total cost); matched tracks are updated. Unmatched detections
    /// go to <paramref name="unmatched"/>; unmatched tracks keep their old <see cref="Track.LastSeenSeconds"/>.
    /// </summary>
    private void Associate(List<Track> tracks, List<Detection> dets, double limit, bool byDistance, double seconds, List<Detection> unmatched)
    {
        int n = tracks.Count, m = dets.Count;
        if (_cost.Length < n * m) _cost = new double[n * m * 2];
        if (_match.Length < n) _match = new int[n * 2];
        if (_detUsed.Length < m) _detUsed = new bool[m * 2];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < m; j++)
                _cost[i * m + j] = byDistance ? CenterDistance(tracks[i].Box, dets[j].Box) : 1 - BoxF.IoU(tracks[i].Box, dets[j].Box);
        _solver.Solve(n, m, _cost.AsSpan(0, n * m), byDistance ? limit : 1 - limit, _match);
        Array.Clear(_detUsed, 0, m);
        for (int i = 0; i < n; i++)
        {
            int j = _match[i];
            if (j < 0) continue;
            _detUsed[j] = true;
            var t = tracks[i];
            var d = dets[j];
            if (t.State == TrackState.Lost) t.Jumped = Jump(t, d.Box, seconds);
            t.LastMeasured = d.Box;
            t.Filter.Update(d.Box);
            t.Box = t.Filter.Box;
            t.Score = d.Score;
            t.State = TrackState.Tracked;
            t.LastSeenSeconds = seconds;
            t.LastFrame = _frames;
        }
        // Copy before clearing: callers may pass the same list as dets and unmatched.
        int kept = 0;
        for (int j = 0; j < m; j++) if (!_detUsed[j]) dets[kept++] = dets[j];
        if (!ReferenceEquals(dets, unmatched))
        {
            unmatched.Clear();
            for (int j = 0; j < kept; j++) unmatched.Add(dets[j]);
        }
        else unmatched.RemoveRange(kept, unmatched.Count - kept);
    }
}
