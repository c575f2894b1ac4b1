using WorkerPool.Geometry;

namespace WorkerPool.Tracking;

/// <summary>Life stage of a track.</summary>
public enum TrackState
{
    /// <summary>Matched in the latest frame.</summary>
    Tracked,
    /// <summary>Not matched recently; kept for re-identification until the lost buffer runs out.</summary>
    Lost,
    /// <summary>Gone for good.</summary>
    Removed,
}

/// <summary>One tracked person.</summary>
public sealed class Track
{
    internal KalmanBoxFilter Filter;

    /// <summary>Tracker frame number of the last match.</summary>
    internal long LastFrame;

    /// <summary>The last detection box matched (not a prediction): where the person was last seen.</summary>
    internal BoxF LastMeasured;

    internal Track(int id, in BoxF box, float score, double seconds)
    {
        Id = id;
        Filter = KalmanBoxFilter.Initiate(box);
        Box = box;
        LastMeasured = box;
        Score = score;
        LastSeenSeconds = seconds;
    }

    /// <summary>Track id, unique per camera for the life of the tracker.</summary>
    public int Id { get; }

    /// <summary>Latest box (the measurement when matched, the prediction otherwise).</summary>
    public BoxF Box { get; internal set; }

    /// <summary>Latest detection score.</summary>
    public float Score { get; internal set; }

    /// <summary>State.</summary>
    public TrackState State { get; internal set; } = TrackState.Tracked;

    /// <summary>True once the track has been confirmed by a second match (or was born in the first frame).</summary>
    public bool IsConfirmed { get; internal set; }

    /// <summary>Media time of the last match.</summary>
    public double LastSeenSeconds { get; internal set; }

    /// <summary>
    /// True in the frame a lost track was found again farther from where it was last seen than
    /// <see cref="Config.TrackerOptions.MaxSpeedHeightsPerSecond"/> allows: more likely someone else than a walk, so
    /// counting takes its side from here without counting the jump as a crossing.
    /// </summary>
    public bool Jumped { get; internal set; }

    /// <summary>Feet point (bottom-centre of the box) in pixels.</summary>
    public Point2 Feet => Box.Feet;
}
