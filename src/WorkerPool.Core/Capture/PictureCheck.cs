using OpenCvSharp;

namespace WorkerPool.Capture;

/// <summary>
/// Watches one camera's picture for two faults its counts cannot show by themselves: a picture that no longer changes
/// (a stream or encoder stuck on one frame) and a near-uniform one (a covered or blocked lens, a black or blank
/// stream, darkness). At most once per <see cref="Interval"/> it reads a <see cref="Columns"/> x <see cref="Rows"/>
/// grid of single pixels, as grey, straight from the frame (no copy, no allocation) and compares it with the grid
/// before. Single pixels rather than an average keep a live sensor's noise in the sample, so a still scene from a
/// working camera still changes; a frozen picture repeats exactly.
/// <para>The reader's thread calls <see cref="Observe"/>; any thread reads the results.</para>
/// </summary>
public sealed class PictureCheck(TimeProvider time)
{
    /// <summary>Sample grid width.</summary>
    public const int Columns = 32;

    /// <summary>Sample grid height.</summary>
    public const int Rows = 24;

    /// <summary>
    /// Mean absolute grey difference between two samples (levels of 255) above which the picture counts as changed: any
    /// difference at all. A stuck stream repeats its frame exactly; a still scene through a working sensor and codec
    /// (an empty corridor at night, noise reduction, skipped blocks) still moves some pixels, at least at each
    /// re-quantised keyframe, so calling anything short of identical "frozen" would be a false alarm.
    /// </summary>
    public const double ChangeThreshold = 0;

    /// <summary>Standard deviation of a sample's grey levels below which the picture counts as near-uniform.</summary>
    public const double UniformThreshold = 4.0;

    /// <summary>How often a frame is sampled.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private const long Unknown = -1;
    private byte[] _sample = new byte[Columns * Rows], _previous = new byte[Columns * Rows];
    private bool _hasPrevious;
    private long _sampledAt, _unchangedSince;
    private long _frozenTicks = Unknown; // TimeSpan ticks, or Unknown
    private int _uniform = -1; // -1 unknown, 0 no, 1 yes

    /// <summary>Seconds the picture had not changed at the latest sample (0: it changed); null before two samples of this connection.</summary>
    public double? FrozenSeconds
    {
        get
        {
            long ticks = Interlocked.Read(ref _frozenTicks);
            return ticks == Unknown ? null : Math.Round(TimeSpan.FromTicks(ticks).TotalSeconds, 1);
        }
    }

    /// <summary>Whether the latest sample was near-uniform; null before the first sample of this connection.</summary>
    public bool? Uniform => Volatile.Read(ref _uniform) switch { -1 => null, 0 => false, _ => true };

    /// <summary>Forgets the last connection's picture: a new connection is judged on its own frames.</summary>
    public void Restart()
    {
        _hasPrevious = false;
        Interlocked.Exchange(ref _frozenTicks, Unknown);
        Volatile.Write(ref _uniform, -1);
    }

    /// <summary>
    /// Looks at a captured frame (8-bit BGR or grey), if <see cref="Interval"/> has passed since the last sample;
    /// otherwise returns at once. Returns true when it sampled.
    /// </summary>
    public bool Observe(Mat image)
    {
        long now = time.GetTimestamp();
        if (_hasPrevious && time.GetElapsedTime(_sampledAt, now) < Interval) return false;
        if (!Sample(image, _sample)) return false;

        Volatile.Write(ref _uniform, StandardDeviation(_sample) < UniformThreshold ? 1 : 0);
        if (!_hasPrevious || MeanAbsoluteDifference(_sample, _previous) > ChangeThreshold) _unchangedSince = now;
        Interlocked.Exchange(ref _frozenTicks, _hasPrevious ? time.GetElapsedTime(_unchangedSince, now).Ticks : Unknown);
        (_previous, _sample) = (_sample, _previous);
        _hasPrevious = true;
        _sampledAt = now;
        return true;
    }

    /// <summary>Reads the grid of grey values from the image; false for an empty image or one of another pixel type.</summary>
    private static unsafe bool Sample(Mat image, byte[] into)
    {
        int width = image.Width, height = image.Height;
        if (width < Columns || height < Rows) return false;
        int channels;
        var type = image.Type();
        if (type == MatType.CV_8UC3) channels = 3;
        else if (type == MatType.CV_8UC1) channels = 1;
        else return false;
        for (int r = 0; r < Rows; r++)
        {
            byte* row = (byte*)image.Ptr((2 * r + 1) * height / (2 * Rows));
            for (int c = 0; c < Columns; c++)
            {
                byte* p = row + (long)((2 * c + 1) * width / (2 * Columns)) * channels;
                // BGR to grey with the usual weights (0.114, 0.587, 0.299) in fixed point.
                into[r * Columns + c] = channels == 1 ? p[0] : (byte)((29 * p[0] + 150 * p[1] + 77 * p[2] + 128) >> 8);
            }
        }
        return true;
    }

    private static double MeanAbsoluteDifference(byte[] a, byte[] b)
    {
        long sum = 0;
        for (int i = 0; i < a.Length; i++) sum += Math.Abs(a[i] - b[i]);
        return (double)sum / a.Length;
    }

    private static double StandardDeviation(byte[] values)
    {
        long sum = 0, squares = 0;
        foreach (byte v in values)
        {
            sum += v;
            squares += v * v;
        }
        double mean = (double)sum / values.Length;
        return Math.Sqrt(Math.Max(0, (double)squares / values.Length - mean * mean));
    }
}
