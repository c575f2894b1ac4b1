using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using OpenCvSharp;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Contracts;
using WorkerPool.Counting;
using WorkerPool.Diagnostics;
using WorkerPool.Inference;
using WorkerPool.Control;
using WorkerPool.Pipeline;
using WorkerPool.Tracking;

namespace WorkerPool.Host;

internal sealed record ReplayArgs(FileInfo Config, string Camera, FileInfo Video, FileInfo? Model, FileInfo? FramesOut, FileInfo? Annotate);

/// <summary>
/// <c>replay</c>: counts one camera's lines and zones over a video as fast as the pool allows (no frame dropped)
/// and prints a one-line JSON summary as the last line of stdout.
/// </summary>
internal static class ReplayCommand
{
    public static async Task<int> ExecuteAsync(ReplayArgs args, CancellationToken token)
    {
        if (NativeLibraries.Probe() is { } nativeError)
        {
            await Console.Error.WriteLineAsync(nativeError).ConfigureAwait(false);
            return ExitCodes.NativeLibraryMissing;
        }
        using var loggers = LoggerFactory.Create(Logging.Configure);
        var errors = new List<ConfigError>();
        if (VideoReplay.Prepare(args.Config, args.Camera, args.Video, args.Model, errors) is not { } inputs)
            return await VideoReplay.FailAsync(errors).ConfigureAwait(false);

        await using var observer = new ReplayObserver(args.FramesOut?.FullName, inputs.Camera.Zones.Select(z => z.Id).ToArray());
        var outcome = await VideoReplay.RunAsync(inputs, observer, loggers, token).ConfigureAwait(false);
        if (args.Annotate is not null) Annotate(args.Video.FullName, args.Annotate.FullName, inputs.Camera, outcome.Counts, observer);
        Console.Out.WriteLine(Summary(outcome.Counts, outcome.Seconds));
        return outcome.Ended ? ExitCodes.Ok : ExitCodes.Failure;
    }

    /// <summary>The summary line: frames, seconds, fps, per-line in/out, per-zone mean/max occupancy.</summary>
    private static string Summary(CountTotals counts, double seconds)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("frames", counts.FramesProcessed);
            json.WriteNumber("seconds", Math.Round(seconds, 3));
            json.WriteNumber("fps", Math.Round(counts.FramesProcessed / Math.Max(seconds, 1e-9), 2));
            json.WriteStartObject("lines");
            foreach (var line in counts.Lines)
            {
                json.WriteStartObject(line.Id);
                json.WriteNumber("in", line.In);
                json.WriteNumber("out", line.Out);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteStartObject("zones");
            foreach (var zone in counts.Zones)
            {
                json.WriteStartObject(zone.Id);
                json.WriteNumber("mean", Math.Round(zone.Mean, 3));
                json.WriteNumber("max", zone.Max);
                json.WriteEndObject();
            }
            json.WriteEndObject();
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Annotate(string video, string png, CameraOptions camera, CountTotals counts, ReplayObserver observer)
    {
        // Read up to the last counted frame (its sequence is its index in the file) rather than seek to it: a seek by
        // frame number lands on another frame, or on none, in files whose timestamps do not start at zero, such as a
        // clip recorded from an RTSP camera with `-c copy` (docs/PLACING.md).
        using var source = new OpenCvFileSource(video);
        using var frame = new Mat();
        for (long i = 0; i <= observer.LastSequence; i++)
            if (!source.Read(frame)) return;
        FrameAnnotator.Draw(frame, camera, counts, observer.LastTracks);
        Cv2.ImWrite(png, frame);
    }

    /// <summary>Writes --frames-out lines and remembers the last frame's tracks for --annotate.</summary>
    private sealed class ReplayObserver : IFrameObserver, IAsyncDisposable
    {
        private readonly FileStream? _file;
        private readonly Utf8JsonWriter? _json;
        private readonly string[] _zoneIds;
        private static readonly byte[] NewLine = "\n"u8.ToArray();

        public ReplayObserver(string? path, string[] zoneIds)
        {
            _zoneIds = zoneIds;
            if (path is null) return;
            _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
            _json = new Utf8JsonWriter(_file);
        }

        public long LastSequence { get; private set; }

        public List<(int Id, Geometry.BoxF Box)> LastTracks { get; } = [];

        public void OnFrame(InferenceResult result, IReadOnlyList<Track> tracks, ReadOnlySpan<int> zoneOccupancy)
        {
            LastSequence = result.Sequence;
            LastTracks.Clear();
            foreach (var t in tracks) LastTracks.Add((t.Id, t.Box));
            if (_json is null) return;
            _json.Reset(_file!);
            _json.WriteStartObject();
            _json.WriteNumber("frame", result.Sequence);
            _json.WriteNumber("t", Math.Round(result.MediaSeconds, 3));
            _json.WriteStartArray("tracks");
            foreach (var t in tracks)
            {
                _json.WriteStartObject();
                _json.WriteNumber("id", t.Id);
                _json.WriteStartArray("box");
                _json.WriteNumberValue(Math.Round(t.Box.X1, 1));
                _json.WriteNumberValue(Math.Round(t.Box.Y1, 1));
                _json.WriteNumberValue(Math.Round(t.Box.X2, 1));
                _json.WriteNumberValue(Math.Round(t.Box.Y2, 1));
                _json.WriteEndArray();
                _json.WriteNumber("score", Math.Round(t.Score, 3));
                _json.WriteEndObject();
            }
            _json.WriteEndArray();
            _json.WriteStartObject("zones");
            for (int z = 0; z < _zoneIds.Length; z++) _json.WriteNumber(_zoneIds[z], zoneOccupancy[z]);
            _json.WriteEndObject();
            _json.WriteEndObject();
            _json.Flush();
            _file!.Write(NewLine);
        }

        public async ValueTask DisposeAsync()
        {
            if (_json is not null) await _json.DisposeAsync().ConfigureAwait(false);
            if (_file is not null) await _file.DisposeAsync().ConfigureAwait(false);
        }
    }
}
