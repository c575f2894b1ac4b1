using System.Diagnostics;
using Microsoft.Extensions.Logging;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Contracts;
using WorkerPool.Control;
using WorkerPool.Counting;
using WorkerPool.Diagnostics;
using WorkerPool.Inference;
using WorkerPool.Pipeline;

namespace WorkerPool.Host;

/// <summary>A config, camera, video and model checked and ready to replay.</summary>
internal sealed record ReplayInputs(DeviceConfig Config, CameraOptions Camera, FileInfo Video, ModelInfo Model);

/// <summary>What one replay of a video counted.</summary>
/// <param name="Ended">The camera read the video to its end (not cut short by an error).</param>
internal sealed record ReplayOutcome(CountTotals Counts, double Seconds, bool Ended);

/// <summary>
/// The part of <c>replay</c> that <c>evaluate</c> shares, so that both count a video exactly alike: the checks of
/// config, camera, video and model, and the pipeline in replay mode (every frame counted once, none dropped).
/// </summary>
internal static class VideoReplay
{
    /// <summary>
    /// Loads and validates; adds every problem to <paramref name="errors"/> (with what the caller found already) and
    /// returns null when there is any.
    /// </summary>
    public static ReplayInputs? Prepare(FileInfo configFile, string cameraId, FileInfo video, FileInfo? modelOverride, List<ConfigError> errors)
    {
        DeviceConfig config;
        try { config = ConfigLoader.Load(configFile.FullName); }
        catch (ConfigException ex)
        {
            errors.AddRange(ex.Errors);
            return null;
        }
        errors.AddRange(DeviceConfigValidator.Validate(config, checkModel: false));
        var camera = config.Cameras.FirstOrDefault(c => c?.Id == cameraId);
        if (camera is null) errors.Add(new("--camera", $"no camera '{cameraId}' in the config (has: {string.Join(", ", config.Cameras.Select(c => c?.Id))})"));
        if (!video.Exists) errors.Add(new("--video", $"'{video.FullName}' does not exist"));
        else
        {
            // Replay has no camera to wait for: a file that is not a video is an error now, not a reconnect loop.
            try { using var probe = new OpenCvFileSource(video.FullName); }
            catch (IOException ex) { errors.Add(new("--video", ex.Message)); }
        }
        var model = errors.Count == 0 ? ModelInspector.Check(config, errors, modelOverride?.FullName) : null;
        if (errors.Count > 0 || model is null || camera is null) return null;
        camera.Loop = false; // replay counts the video once
        return new ReplayInputs(config, camera, video, model);
    }

    /// <summary>Counts the camera's lines and zones over the whole video as fast as the pool allows, <paramref name="observer"/> seeing every frame.</summary>
    public static async Task<ReplayOutcome> RunAsync(ReplayInputs inputs, IFrameObserver observer, ILoggerFactory loggers, CancellationToken token)
    {
        var time = TimeProvider.System;
        var detectors = new OnnxDetectorFactory(inputs.Model, inputs.Config, loggers.CreateLogger("WorkerPool.Inference"));
        var source = new CameraUri(SourceKind.File, inputs.Video.FullName);
        var setup = new PipelineSetup(PipelineMode.Replay, new NullCountSink(), new FrameSourceFactory(time))
        {
            Detectors = _ => detectors,
            Cameras = _ => [(inputs.Camera, source)],
            Observer = observer,
        };
        var control = new DeviceControl(inputs.Config, setup, time, loggers);
        var clock = Stopwatch.StartNew();
        try
        {
            await control.StartAsync(token).ConfigureAwait(false);
            await control.CamerasCompletion.WaitAsync(token).ConfigureAwait(false);
        }
        finally
        {
            await control.DisposeAsync().ConfigureAwait(false);
        }
        clock.Stop();

        var status = control.Status(); // final: every frame counted, the last window closed
        return new ReplayOutcome(status.Cameras.Single().Counts, clock.Elapsed.TotalSeconds, status.Cameras.Any(c => c.Capture.State == CameraState.Ended));
    }

    /// <summary>Prints the errors as <c>check</c> and <c>run</c> do, and returns the invalid-config exit code.</summary>
    public static async Task<int> FailAsync(IEnumerable<ConfigError> errors)
    {
        await Console.Error.WriteLineAsync("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e))).ConfigureAwait(false);
        return ExitCodes.InvalidConfig;
    }
}
