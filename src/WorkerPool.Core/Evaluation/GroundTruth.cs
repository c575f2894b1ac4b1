using System.Globalization;
using WorkerPool.Geometry;

namespace WorkerPool.Evaluation;

/// <summary>One annotated box: a person's identity on one frame (1-based: frame 1 is the first decoded frame).</summary>
/// <param name="Box">Pixels, from the file's <c>left, top, width, height</c>.</param>
public readonly record struct GroundTruthBox(long Frame, int Id, BoxF Box);

/// <summary>
/// A MOTChallenge ground-truth file (what CVAT exports as "MOT 1.1"): one line per box,
/// <c>frame,id,left,top,width,height[,conf,x,y,z]</c>.
/// </summary>
public sealed class GroundTruth
{
    /// <summary>Creates ground truth from boxes in any order.</summary>
    public GroundTruth(IEnumerable<GroundTruthBox> boxes)
    {
        Boxes = [.. boxes.OrderBy(b => b.Frame).ThenBy(b => b.Id)];
        LastFrame = Boxes.Count == 0 ? 0 : Boxes[^1].Frame;
        Identities = Boxes.Select(b => b.Id).Distinct().Count();
    }

    /// <summary>Every box, by frame then identity.</summary>
    public IReadOnlyList<GroundTruthBox> Boxes { get; }

    /// <summary>The highest annotated frame (0 when empty).</summary>
    public long LastFrame { get; }

    /// <summary>How many identities the file names.</summary>
    public int Identities { get; }

    /// <summary>The ground truth cut to the first <paramref name="frames"/> frames (those the video has).</summary>
    public GroundTruth Truncate(long frames) => new(Boxes.Where(b => b.Frame <= frames));

    /// <summary>Reads a file; throws <see cref="GroundTruthException"/> naming the line and what is wrong.</summary>
    public static GroundTruth Read(string path)
    {
        using var reader = new StreamReader(path);
        return Parse(reader);
    }

    /// <summary>
    /// Parses MOTChallenge lines. The <c>conf</c> column is not used as a filter: MOT15 files (PETS among them) mark
    /// some real people 0 there, and the reference counts in <c>../shared/datasets</c> include them.
    /// </summary>
    public static GroundTruth Parse(TextReader reader)
    {
        var boxes = new List<GroundTruthBox>();
        var seen = new HashSet<(long, int)>();
        int number = 0;
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string[] fields = line.Split(',');
            if (fields.Length < 6)
                throw new GroundTruthException(number, $"expected at least 6 comma-separated fields (frame,id,left,top,width,height), got {fields.Length}");
            long frame = Whole(fields[0], "frame", number);
            int id = (int)Whole(fields[1], "id", number);
            if (frame < 1) throw new GroundTruthException(number, $"frame {frame} is below 1 (frames count from 1, the first decoded frame)");
            double left = Number(fields[2], "left", number), top = Number(fields[3], "top", number);
            double width = Number(fields[4], "width", number), height = Number(fields[5], "height", number);
            if (width <= 0 || height <= 0) throw new GroundTruthException(number, $"box width and height must be positive, got {fields[4].Trim()} x {fields[5].Trim()}");
            if (!seen.Add((frame, id))) throw new GroundTruthException(number, $"identity {id} appears twice on frame {frame}");
            boxes.Add(new GroundTruthBox(frame, id, new BoxF((float)left, (float)top, (float)(left + width), (float)(top + height))));
        }
        return new GroundTruth(boxes);
    }

    private static long Whole(string text, string field, int line)
    {
        // CVAT and the MOT tools write "12" or "12.0"; anything else is not a frame or an identity.
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            && value == Math.Floor(value) && Math.Abs(value) < int.MaxValue)
            return (long)value;
        throw new GroundTruthException(line, $"{field} '{text.Trim()}' is not a whole number");
    }

    private static double Number(string text, string field, int line) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value)
            ? value
            : throw new GroundTruthException(line, $"{field} '{text.Trim()}' is not a number");
}

/// <summary>A ground-truth file that cannot be read as MOTChallenge lines.</summary>
public sealed class GroundTruthException : Exception
{
    /// <summary>Creates the error for a 1-based line number.</summary>
    public GroundTruthException(int line, string problem) : base($"line {line}: {problem}") => Line = line;

    /// <summary>The 1-based line number.</summary>
    public int Line { get; }
}
