using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace WorkerPool.Outbox;

/// <summary>
/// The outbox's durable accounting, kept beside the database and outliving it when it has to be quarantined: per
/// camera the last sequence number given out and the last one stored, how many records were lost before they
/// reached storage or dropped by retention afterwards, and which ones (<see cref="LossRanges"/>). Every record gets
/// its number when it is counted, before it is stored, so a record that is lost in memory (a full disk, a crash)
/// leaves a gap that consumers see.
/// <para>
/// The file holds two fixed-size slots, overwritten in place, alternately, each with a generation and a checksum:
/// an update needs no new disk blocks, so it still lands when the disk is full, and a torn write leaves the other
/// slot intact. Each slot is sized for every known camera's full set of loss ranges, so a new loss never needs new
/// blocks either. A file of the older JSON form (<c>{"camera": lastSeq}</c>) is read and converted, and one written
/// before losses were kept reads as having none.
/// </para>
/// </summary>
internal sealed class SequenceLedger : IDisposable
{
    private const uint Magic = 0x51535057; // "WPSQ"
    private const int HeaderBytes = 4 + 8 + 4, HashBytes = 8, MinSlotBytes = 4096;
    private readonly string _path;
    // Per camera: the last number given out, and the last one settled (stored, or already counted lost).
    private readonly Dictionary<string, (long Allocated, long Stored)> _cameras = new(StringComparer.Ordinal);
    private readonly LossRanges _losses = new();
    private FileStream? _file;
    private int _slotBytes;
    private long _generation;

    private SequenceLedger(string path) => _path = path;

    /// <summary>Records that never reached storage (memory buffer full, or held in memory when the service stopped), since the outbox was first created.</summary>
    public long Lost { get; private set; }

    /// <summary>Stored records the retention limits dropped, since the outbox was first created.</summary>
    public long Dropped { get; private set; }

    /// <summary>The seq ranges known lost for good, per camera, the most recent first (an immutable copy: any thread may read it).</summary>
    public IReadOnlyList<WorkerPool.Contracts.LossRange> Losses => _losses.Snapshot;

    /// <summary>Reads the ledger (an absent or unreadable file is an empty ledger: the database's own marks then count).</summary>
    public static SequenceLedger Open(string path)
    {
        var ledger = new SequenceLedger(path);
        if (File.Exists(path)) ledger.Load();
        return ledger;
    }

    /// <summary>The last number given out per camera.</summary>
    public IEnumerable<(string Camera, long Allocated, long Stored)> Cameras => _cameras.Select(c => (c.Key, c.Value.Allocated, c.Value.Stored));

    /// <summary>Gives out the camera's next sequence number (in memory: <see cref="Save"/> makes it durable).</summary>
    public long Allocate(string camera)
    {
        var (allocated, stored) = _cameras.GetValueOrDefault(camera);
        long next = Math.Max(allocated, stored) + 1;
        _cameras[camera] = (next, stored);
        return next;
    }

    /// <summary>Notes that the camera's records up to <paramref name="seq"/> are stored (in memory).</summary>
    public void MarkStored(string camera, long seq)
    {
        var (allocated, stored) = _cameras.GetValueOrDefault(camera);
        _cameras[camera] = (Math.Max(allocated, seq), Math.Max(stored, seq));
    }

    /// <summary>Counts a record that will never be stored (its number is settled, so a restart does not count it again).</summary>
    public void MarkLost(string camera, long seq)
    {
        Lost++;
        MarkStored(camera, seq);
        _losses.Add(camera, seq, seq, LossReason.Unstored);
    }

    /// <summary>Counts stored records that retention dropped before the broker had them, and notes which.</summary>
    public void AddDropped(IReadOnlyCollection<(string Camera, long Seq)> seqs)
    {
        Dropped += seqs.Count;
        _losses.AddEach(seqs, LossReason.Retention);
    }

    /// <summary>Raises the retention count to at least <paramref name="dropped"/> (the database's own count, from before the ledger kept it).</summary>
    public void AtLeastDropped(long dropped) => Dropped = Math.Max(Dropped, dropped);

    /// <summary>
    /// At start: numbers given out but never stored belong to records the previous run held in memory and lost.
    /// Counts them as lost and returns them per camera (first and last lost number).
    /// </summary>
    public List<(string Camera, long From, long To)> ReconcileUnstored()
    {
        var lost = new List<(string, long, long)>();
        foreach (var (camera, (allocated, stored)) in _cameras.ToArray())
        {
            if (allocated <= stored) continue;
            lost.Add((camera, stored + 1, allocated));
            Lost += allocated - stored;
            _losses.Add(camera, stored + 1, allocated, LossReason.Unstored);
            _cameras[camera] = (allocated, allocated);
        }
        return lost;
    }

    /// <summary>Writes the ledger to its next slot and forces it to disk. Throws <see cref="IOException"/> when it cannot.</summary>
    public void Save()
    {
        byte[] payload = Payload();
        // Room for every camera's full set of loss ranges: only a new camera ever makes the file grow.
        int needed = HeaderBytes + payload.Length + _losses.Headroom(_cameras.Keys) + HashBytes;
        if (_file is null || needed > _slotBytes) Recreate(needed);
        // The generation moves on only once its slot is on disk: after a failed write the next one goes to the same
        // (already damaged) slot, never over the last good one.
        long next = _generation + 1;
        _file!.Position = (next % 2) * _slotBytes;
        _file.Write(Slot(payload, next, _slotBytes));
        _file.Flush(flushToDisk: true);
        _generation = next;
    }

    /// <summary>
    /// Creates the file with both slots at a size that fits (rounded up to 4 KiB), beside and then over the old one.
    /// This is the one write that needs new blocks: at the first start, and when many more cameras appear.
    /// </summary>
    private void Recreate(int needed)
    {
        int size = Math.Max(MinSlotBytes, (needed + MinSlotBytes - 1) / MinSlotBytes * MinSlotBytes);
        byte[] payload = Payload();
        string temp = _path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Slot(payload, _generation, size));
            stream.Write(Slot(payload, _generation, size));
            stream.Flush(flushToDisk: true);
        }
        _file?.Dispose();
        _file = null;
        File.Move(temp, _path, overwrite: true);
        _file = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        _slotBytes = size;
    }

    private void Load()
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(_path); }
        catch (IOException) { return; }
        if (bytes.Length > 0 && bytes[0] == (byte)'{')
        {
            LoadLegacyJson(bytes);
            return;
        }
        int slot = bytes.Length / 2;
        if (slot < HeaderBytes + HashBytes) return;
        var best = (Generation: -1L, Payload: ReadOnlyMemory<byte>.Empty);
        for (int i = 0; i < 2; i++)
            if (TryReadSlot(bytes.AsMemory(i * slot, slot), out long generation, out var payload) && generation > best.Generation)
                best = (generation, payload);
        if (best.Generation < 0) return; // both slots damaged: the database's marks and a new gap-free start must do
        Parse(best.Payload.Span);
        _generation = best.Generation;
        _slotBytes = slot;
        _file = new FileStream(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
    }

    private void LoadLegacyJson(byte[] bytes)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) return;
            foreach (var p in doc.RootElement.EnumerateObject())
                if (p.Value.TryGetInt64(out long last)) _cameras[p.Name] = (last, last);
        }
        catch (JsonException) { } // a torn sidecar only loses the extra protection
    }

    private static bool TryReadSlot(ReadOnlyMemory<byte> slot, out long generation, out ReadOnlyMemory<byte> payload)
    {
        var span = slot.Span;
        generation = -1;
        payload = default;
        if (BinaryPrimitives.ReadUInt32LittleEndian(span) != Magic) return false;
        long gen = BinaryPrimitives.ReadInt64LittleEndian(span[4..]);
        int length = BinaryPrimitives.ReadInt32LittleEndian(span[12..]);
        if (length < 0 || HeaderBytes + length + HashBytes > span.Length) return false;
        var hash = SHA256.HashData(span[..(HeaderBytes + length)]);
        if (!hash.AsSpan(0, HashBytes).SequenceEqual(span.Slice(HeaderBytes + length, HashBytes))) return false;
        generation = gen;
        payload = slot.Slice(HeaderBytes, length);
        return true;
    }

    private static byte[] Slot(byte[] payload, long generation, int size)
    {
        var slot = new byte[size];
        BinaryPrimitives.WriteUInt32LittleEndian(slot, Magic);
        BinaryPrimitives.WriteInt64LittleEndian(slot.AsSpan(4), generation);
        BinaryPrimitives.WriteInt32LittleEndian(slot.AsSpan(12), payload.Length);
        payload.CopyTo(slot, HeaderBytes);
        SHA256.HashData(slot.AsSpan(0, HeaderBytes + payload.Length)).AsSpan(0, HashBytes).CopyTo(slot.AsSpan(HeaderBytes + payload.Length));
        return slot;
    }

    /// <summary>lost, dropped, camera count, then per camera: name (UTF-8, length-prefixed), allocated, stored; then the loss ranges.</summary>
    private byte[] Payload()
    {
        using var buffer = new MemoryStream();
        using var w = new BinaryWriter(buffer, Encoding.UTF8);
        w.Write(Lost);
        w.Write(Dropped);
        w.Write(_cameras.Count);
        foreach (var (camera, (allocated, stored)) in _cameras)
        {
            w.Write(camera);
            w.Write(allocated);
            w.Write(stored);
        }
        // After the older fields: a release from before losses were kept reads the rest and ignores this.
        _losses.Write(w);
        w.Flush();
        return buffer.ToArray();
    }

    private void Parse(ReadOnlySpan<byte> payload)
    {
        using var r = new BinaryReader(new MemoryStream(payload.ToArray()), Encoding.UTF8);
        Lost = r.ReadInt64();
        Dropped = r.ReadInt64();
        int n = r.ReadInt32();
        for (int i = 0; i < n; i++)
        {
            string camera = r.ReadString();
            _cameras[camera] = (r.ReadInt64(), r.ReadInt64());
        }
        _losses.Read(r);
    }

    /// <inheritdoc />
    public void Dispose() => _file?.Dispose();
}
