using WorkerPool.Contracts;

namespace WorkerPool.Outbox;

/// <summary>
/// The seq ranges per camera the outbox knows are gone for good, as the heartbeat reports them (<c>outbox.losses</c>):
/// contiguous losses of one reason merged into one range, the most recent (highest seqs) first, at most
/// <see cref="MaxPerCamera"/> per camera; older ones are forgotten (the fleet side keeps what it was told). The
/// <see cref="SequenceLedger"/> persists them. Changed under the outbox's lock; <see cref="Snapshot"/> may be read
/// from any thread.
/// </summary>
internal sealed class LossRanges
{
    /// <summary>Most ranges kept per camera.</summary>
    public const int MaxPerCamera = 16;

    /// <summary>Most ranges reported in all (the heartbeat schema's bound), reached only beyond 16 cameras with losses.</summary>
    public const int MaxReported = 256;

    // from, to (8 bytes each) and the reason (1 byte) per range, as written by Write.
    private const int RangeBytes = 8 + 8 + 1;

    // Per camera, ranges sorted by From descending, never overlapping.
    private readonly Dictionary<string, List<(long From, long To, LossReason Reason)>> _cameras = new(StringComparer.Ordinal);
    private volatile IReadOnlyList<LossRange> _snapshot = [];

    /// <summary>Every camera's ranges (cameras in ordinal order, each most recent first); an immutable copy.</summary>
    public IReadOnlyList<LossRange> Snapshot => _snapshot;

    /// <summary>Notes that the camera's records <paramref name="from"/> to <paramref name="to"/> are lost.</summary>
    public void Add(string camera, long from, long to, LossReason reason)
    {
        if (from < 1 || to < from) return;
        if (!_cameras.TryGetValue(camera, out var ranges)) _cameras[camera] = ranges = [];
        ranges.Add((from, to, reason));
        ranges.Sort(static (a, b) => b.From.CompareTo(a.From));
        // Neighbours of one reason that touch or overlap become one range (a seq is lost one way only).
        for (int i = ranges.Count - 1; i > 0; i--)
        {
            var (older, newer) = (ranges[i], ranges[i - 1]);
            if (older.Reason != newer.Reason || older.To + 1 < newer.From) continue;
            ranges[i - 1] = (older.From, Math.Max(older.To, newer.To), newer.Reason);
            ranges.RemoveAt(i);
        }
        if (ranges.Count > MaxPerCamera) ranges.RemoveRange(MaxPerCamera, ranges.Count - MaxPerCamera);
        Publish();
    }

    /// <summary>Notes each lost seq (for example one retention batch), merging runs into ranges.</summary>
    public void AddEach(IEnumerable<(string Camera, long Seq)> seqs, LossReason reason)
    {
        foreach (var camera in seqs.GroupBy(s => s.Camera, StringComparer.Ordinal))
        {
            long? from = null, to = null;
            foreach (long seq in camera.Select(s => s.Seq).Order())
            {
                if (to is { } last && seq <= last + 1) { to = Math.Max(last, seq); continue; }
                if (from is { } f) Add(camera.Key, f, to!.Value, reason);
                (from, to) = (seq, seq);
            }
            if (from is { } first) Add(camera.Key, first, to!.Value, reason);
        }
    }

    /// <summary>How many more bytes <see cref="Write"/> may need once every one of <paramref name="cameras"/> has all its ranges.</summary>
    public int Headroom(IEnumerable<string> cameras)
    {
        int more = 0;
        foreach (var camera in cameras)
            more += _cameras.TryGetValue(camera, out var ranges)
                ? (MaxPerCamera - ranges.Count) * RangeBytes
                : NameBytes(camera) + 4 + MaxPerCamera * RangeBytes;
        return more;
    }

    /// <summary>camera count, then per camera: name (length-prefixed UTF-8), range count, and each range's from, to and reason.</summary>
    public void Write(BinaryWriter w)
    {
        w.Write(_cameras.Count);
        foreach (var (camera, ranges) in _cameras)
        {
            w.Write(camera);
            w.Write(ranges.Count);
            foreach (var (from, to, reason) in ranges)
            {
                w.Write(from);
                w.Write(to);
                w.Write((byte)reason);
            }
        }
    }

    /// <summary>Reads what <see cref="Write"/> wrote; a ledger written before losses were kept ends before it, and holds none.</summary>
    public void Read(BinaryReader r)
    {
        _cameras.Clear();
        if (r.BaseStream.Position < r.BaseStream.Length)
        {
            int cameras = r.ReadInt32();
            for (int i = 0; i < cameras; i++)
            {
                string camera = r.ReadString();
                int n = r.ReadInt32();
                var ranges = new List<(long, long, LossReason)>(n);
                for (int j = 0; j < n; j++) ranges.Add((r.ReadInt64(), r.ReadInt64(), (LossReason)r.ReadByte()));
                _cameras[camera] = ranges;
            }
        }
        Publish();
    }

    private void Publish()
    {
        var cameras = _cameras.OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
        var ranges = cameras.SelectMany((c, camera) => c.Value.Select((r, rank) => (Camera: camera, Rank: rank, Range: new LossRange(c.Key, r.From, r.To, Name(r.Reason)))));
        // Over the bound, every camera keeps its most recent ranges: the older ones of all go first.
        if (cameras.Sum(c => c.Value.Count) > MaxReported) ranges = ranges.OrderBy(r => r.Rank).Take(MaxReported).OrderBy(r => r.Camera).ThenBy(r => r.Rank);
        _snapshot = [.. ranges.Select(r => r.Range)];
    }

    private static string Name(LossReason reason) => reason == LossReason.Retention ? "retention" : "unstored";

    private static int NameBytes(string camera)
    {
        int bytes = System.Text.Encoding.UTF8.GetByteCount(camera);
        return bytes + (bytes < 128 ? 1 : 2); // BinaryWriter's 7-bit length prefix (camera ids are at most 64 characters)
    }
}
