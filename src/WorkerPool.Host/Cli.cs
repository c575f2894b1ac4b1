using System.CommandLine;

namespace WorkerPool.Host;

/// <summary>The device's command line: <c>run</c> (the service), <c>replay</c> (count a video as fast as possible), <c>evaluate</c> (a replay against ground truth), <c>check</c> (validate a config). The operator tools live in <c>workerpool-fleet</c>.</summary>
internal static class Cli
{
    public static RootCommand Build()
    {
        var config = new Option<FileInfo>("--config", "-c") { Description = "Device config file (JSON)", Required = true };
        var run = new Command("run", "Run the counting service until SIGTERM/SIGINT") { config };
        run.SetAction((result, token) => RunCommand.ExecuteAsync(result.GetValue(config)!, token));

        var rConfig = new Option<FileInfo>("--config", "-c") { Description = "Device config file (JSON)", Required = true };
        var camera = new Option<string>("--camera") { Description = "Id of the camera whose lines and zones are used", Required = true };
        var video = new Option<FileInfo>("--video") { Description = "Video file to count", Required = true };
        var model = new Option<FileInfo?>("--model") { Description = "Use this .onnx instead of the config's (must match the manifest's sha256)" };
        var framesOut = new Option<FileInfo?>("--frames-out") { Description = "Write one JSON line per frame (tracks, zone occupancy)" };
        var annotate = new Option<FileInfo?>("--annotate") { Description = "Save a PNG of the last frame with lines, zones, boxes and track ids" };
        var replay = new Command("replay", "Count one camera's lines and zones over a video, as fast as the pool allows; prints a JSON summary last")
        {
            rConfig, camera, video, model, framesOut, annotate,
        };
        replay.SetAction((result, token) => ReplayCommand.ExecuteAsync(new ReplayArgs(
            result.GetValue(rConfig)!, result.GetValue(camera)!, result.GetValue(video)!, result.GetValue(model),
            result.GetValue(framesOut), result.GetValue(annotate)), token));

        var eConfig = new Option<FileInfo>("--config", "-c") { Description = "Device config file (JSON)", Required = true };
        var eCamera = new Option<string>("--camera") { Description = "Id of the camera whose lines and zones are evaluated", Required = true };
        var eVideo = new Option<FileInfo>("--video") { Description = "Video file to count", Required = true };
        var gt = new Option<FileInfo>("--gt") { Description = "Ground truth of the video, MOTChallenge lines frame,id,left,top,width,height,... (frame 1 = the first frame)", Required = true };
        var eModel = new Option<FileInfo?>("--model") { Description = "Use this .onnx instead of the config's (must match the manifest's sha256)" };
        var annotateErrors = new Option<DirectoryInfo?>("--annotate-errors") { Description = "Save a PNG per missed or extra crossing: the frame, the line and the track's path" };
        var evaluate = new Command("evaluate", "Replay a video and compare its line crossings and zone occupancy with MOTChallenge ground truth; prints a JSON summary last")
        {
            eConfig, eCamera, eVideo, gt, eModel, annotateErrors,
        };
        evaluate.SetAction((result, token) => EvaluateCommand.ExecuteAsync(new EvaluateArgs(
            result.GetValue(eConfig)!, result.GetValue(eCamera)!, result.GetValue(eVideo)!, result.GetValue(gt)!, result.GetValue(eModel),
            result.GetValue(annotateErrors)), token));

        var cConfig = new Option<FileInfo>("--config", "-c") { Description = "Device config file (JSON)", Required = true };
        var serviceUser = new Option<string?>("--service-user")
        {
            Description = "User the service runs as, checked for reading every file the config names (default: workerpool, where that user exists)",
        };
        var check = new Command("check", "Validate a device config (and the model and ONNX Runtime) as run would, without starting anything") { cConfig, serviceUser };
        check.SetAction((result, _) => CheckCommand.ExecuteAsync(result.GetValue(cConfig)!, result.GetValue(serviceUser)));

        return new RootCommand("WorkerPool: people counting on edge devices") { run, replay, evaluate, check };
    }
}
