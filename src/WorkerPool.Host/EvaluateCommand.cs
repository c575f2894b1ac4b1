using System.Globalization;
using Microsoft.Extensions.Logging;
using OpenCvSharp;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Counting;
using WorkerPool.Diagnostics;
using WorkerPool.Evaluation;
using WorkerPool.Inference;
using WorkerPool.Pipeline;
using WorkerPool.Tracking;

namespace WorkerPool.Host;

internal sealed record EvaluateArgs(FileInfo Config, string Camera, FileInfo Video, FileInfo GroundTruth, FileInfo? Model, DirectoryInfo? AnnotateErrors);

/// <summary>
/// <c>evaluate</c>: replays a video exactly as <c>replay</c> does and compares each line crossing and each frame's
/// zone occupancy with what MOTChallenge ground truth of the same video gives on the camera's own lines and zones.
/// Prints a table, then one JSON line as the last line of stdout.
/// </summary>
internal static class EvaluateCommand
{
    /// <summary>How far apart in time a device and a reference crossing may be and still be the same one.</summary>
    private const double MatchSeconds = 1.0;

    /// <summary>How much of a track's path an error picture shows.</summary>
    private const double PathSeconds = 2.0;

    public static async Task<int> ExecuteAsync(EvaluateArgs args, CancellationToken token)
    {
        if (NativeLibraries.Probe() is { } nativeError)
        {
            await Console.Error.WriteLineAsync(nativeError).ConfigureAwait(false);
            return ExitCodes.NativeLibraryMissing;
        }
        using var loggers = LoggerFactory.Create(Logging.Configure);
        var errors = new List<ConfigError>();
        GroundTruth? truth = null;
        if (!args.GroundTruth.Exists) errors.Add(new("--gt", $"'{args.GroundTruth.FullName}' does not exist"));
        else
        {
            try { truth = GroundTruth.Read(args.GroundTruth.FullName); }
            catch (GroundTruthException ex) { errors.Add(new("--gt", $"{args.GroundTruth.FullName} {ex.Message}")); }
            catch (IOException ex) { errors.Add(new("--gt", $"{args.GroundTruth.FullName}: {ex.Message}")); }
            catch (UnauthorizedAccessException ex) { errors.Add(new("--gt", $"{args.GroundTruth.FullName}: {ex.Message}")); }
        }
        var inputs = VideoReplay.Prepare(args.Config, args.Camera, args.Video, args.Model, errors);
        if (inputs is null || truth is null) return await VideoReplay.FailAsync(errors).ConfigureAwait(false);

        int width, height;
        double videoFps;
        using (var probe = new OpenCvFileSource(args.Video.FullName)) (width, height, videoFps) = (probe.Width, probe.Height, probe.Fps);

        var observer = new EvaluationObserver(inputs.Camera.Zones.Count);
        var outcome = await VideoReplay.RunAsync(inputs, observer, loggers, token).ConfigureAwait(false);
        long frames = outcome.Counts.FramesProcessed;
        // The reference covers every frame the video had, counted or not (a frame whose inference failed is still one).
        long videoFrames = Math.Max(frames, observer.LastFrame);

        if (truth.LastFrame > videoFrames)
        {
            int beyond = truth.Boxes.Count(b => b.Frame > videoFrames);
            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"evaluate: the ground truth has {beyond} boxes on frames {videoFrames + 1}..{truth.LastFrame}, beyond the video's {videoFrames} frames; they are left out")).ConfigureAwait(false);
        }
        var reference = ReferenceCounter.Count(truth, inputs.Camera, width, height, videoFrames);
        long tolerance = (long)Math.Round(MatchSeconds * videoFps);
        var lines = CrossingMatcher.Match(inputs.Camera.Lines.Select(l => l.Id), observer.Crossings, reference.Crossings, tolerance);
        var zones = inputs.Camera.Zones.Select((z, i) => ZoneAccuracy.Compare(z.Id, observer.Occupancy(i, videoFrames), reference.ZoneOccupancy[i])).ToArray();
        var report = new EvaluationReport(frames, frames / Math.Max(outcome.Seconds, 1e-9), lines, zones);

        if (args.AnnotateErrors is not null)
        {
            int saved = AnnotateErrors(args.Video.FullName, args.AnnotateErrors.FullName, inputs.Camera, outcome.Counts, lines, truth, observer,
                (long)Math.Round(PathSeconds * videoFps));
            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"evaluate: saved {saved} error pictures in {args.AnnotateErrors.FullName}")).ConfigureAwait(false);
        }
        Console.Out.Write(report.ToTable());
        Console.Out.WriteLine(report.ToJson());
        return outcome.Ended ? ExitCodes.Ok : ExitCodes.Failure;
    }

    /// <summary>
    /// One PNG per missed or extra crossing: its frame with the camera's lines (as <c>replay --annotate</c> draws
    /// them), the box and the last seconds of the feet path of the track involved: the device's track for an extra,
    /// the ground-truth identity for a miss. The video is read once, front to back, for the reason
    /// <c>replay --annotate</c> gives (seeking by frame number is unreliable).
    /// </summary>
    private static int AnnotateErrors(string video, string dir, CameraOptions camera, CountTotals totals, IReadOnlyList<LineAccuracy> lines,
        GroundTruth truth, EvaluationObserver observer, long pathFrames)
    {
        var errors = lines.SelectMany(l => l.Missed.Select(c => (Kind: "missed", Crossing: c)).Concat(l.Extra.Select(c => (Kind: "extra", Crossing: c))))
            .OrderBy(e => e.Crossing.Frame).ToList();
        Directory.CreateDirectory(dir);
        if (errors.Count == 0) return 0;
        var truthById = truth.Boxes.ToLookup(b => b.Id);
        using var source = new OpenCvFileSource(video);
        using var frame = new Mat();
        int saved = 0, next = 0;
        for (long number = 1; next < errors.Count && source.Read(frame); number++)
        {
            for (; next < errors.Count && errors[next].Crossing.Frame == number; next++)
            {
                var (kind, crossing) = errors[next];
                // The path and box of the one track involved, up to this frame.
                var path = kind == "missed"
                    ? truthById[crossing.TrackId].Where(b => b.Frame > number - pathFrames && b.Frame <= number).Select(b => (b.Frame, b.Box)).ToList()
                    : observer.PathOf(crossing.TrackId, number - pathFrames + 1, number);
                using var image = frame.Clone();
                var box = path.Where(p => p.Frame == number).Select(p => (crossing.TrackId, p.Box)).ToList();
                FrameAnnotator.Draw(image, camera, totals, box);
                var color = kind == "missed" ? new Scalar(0, 165, 255) : new Scalar(255, 0, 255);
                var points = path.Select(p => new Point((int)Math.Round(p.Box.Feet.X), (int)Math.Round(p.Box.Feet.Y))).ToArray();
                if (points.Length > 1) Cv2.Polylines(image, [points], isClosed: false, color, 2);
                string who = kind == "missed" ? $"ground-truth id {crossing.TrackId}" : $"track {crossing.TrackId}";
                string caption = string.Create(CultureInfo.InvariantCulture, $"{kind} {crossing.LineId} {crossing.Dir} frame {number} ({who})");
                Cv2.PutText(image, caption, new Point(8, image.Height - 12), HersheyFonts.HersheySimplex, 0.6, new Scalar(0, 0, 0), 4);
                Cv2.PutText(image, caption, new Point(8, image.Height - 12), HersheyFonts.HersheySimplex, 0.6, color, 2);
                string name = string.Create(CultureInfo.InvariantCulture, $"{number:D6}-{crossing.LineId}-{kind}-{crossing.Dir}-{crossing.TrackId}.png");
                Cv2.ImWrite(Path.Combine(dir, name), image);
                saved++;
            }
        }
        return saved;
    }

    /// <summary>Collects what <c>evaluate</c> compares: each crossing the counter made, each frame's zone occupancy and tracks.</summary>
    private sealed class EvaluationObserver(int zones) : IFrameObserver
    {
        private readonly List<int>[] _occupancy = Enumerable.Range(0, zones).Select(_ => new List<int>()).ToArray();
        private readonly Dictionary<int, List<(long Frame, Geometry.BoxF Box)>> _paths = [];
        private long _lastFrame;

        /// <summary>Device crossings with 1-based frames (the ground truth's numbering).</summary>
        public List<Crossing> Crossings { get; } = [];

        public void OnCrossing(InferenceResult result, string lineId, int direction, int trackId) =>
            Crossings.Add(new Crossing(result.Sequence + 1, lineId, direction, trackId));

        public void OnFrame(InferenceResult result, IReadOnlyList<Track> tracks, ReadOnlySpan<int> zoneOccupancy)
        {
            // By the frame's own number: a frame that failed inference never comes here, and must not shift the rest.
            for (int z = 0; z < _occupancy.Length; z++)
            {
                var zone = _occupancy[z];
                while (zone.Count <= result.Sequence) zone.Add(0);
                zone[(int)result.Sequence] = zoneOccupancy[z];
            }
            _lastFrame = Math.Max(_lastFrame, result.Sequence + 1);
            foreach (var track in tracks)
            {
                if (!_paths.TryGetValue(track.Id, out var path)) _paths[track.Id] = path = [];
                path.Add((result.Sequence + 1, track.Box));
            }
        }

        /// <summary>The highest 1-based frame number counted.</summary>
        public long LastFrame => _lastFrame;

        /// <summary>Per-frame occupancy of a zone, index 0 = frame 1.</summary>
        public List<int> Occupancy(int zone, long frames) => _occupancy[zone].Take((int)frames).ToList();

        public List<(long Frame, Geometry.BoxF Box)> PathOf(int trackId, long fromFrame, long toFrame) =>
            _paths.TryGetValue(trackId, out var path) ? path.Where(p => p.Frame >= fromFrame && p.Frame <= toFrame).ToList() : [];
    }
}
