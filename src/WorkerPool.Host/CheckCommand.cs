using Microsoft.ML.OnnxRuntime;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Inference;

namespace WorkerPool.Host;

/// <summary>
/// <c>check --config FILE [--service-user NAME]</c>: validates a device config as <c>run</c> would (with the remote
/// changes persisted beside the outbox, and the model file), then what only the machine can tell (whether the
/// service user can read every file the config names, what the systemd unit hides, certificate dates), and prints
/// what the device would run and which ONNX Runtime providers it has. Install and update scripts run it before
/// they switch anything.
/// </summary>
internal static class CheckCommand
{
    /// <param name="configFile">The device config.</param>
    /// <param name="serviceUser">The user the service runs as; null: the unit's (<c>workerpool</c>), checked only where that user exists.</param>
    public static async Task<int> ExecuteAsync(FileInfo configFile, string? serviceUser)
    {
        // ONNX Runtime first: the config and model checks use it, and its environment is created once per process.
        if (NativeLibraries.ProbeOnnxRuntime() is { } ortError)
        {
            await Console.Error.WriteLineAsync(ortError).ConfigureAwait(false);
            return ExitCodes.NativeLibraryMissing;
        }
        DeviceConfig config;
        try
        {
            // Read-only: a check never moves the persisted remote changes aside, even when they no longer validate.
            config = RunCommand.LoadEffective(configFile, out string? notice, readOnly: true).Config;
            if (notice is not null) Console.WriteLine("notice: " + notice);
        }
        catch (ConfigException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return ExitCodes.InvalidConfig;
        }
        var errors = DeviceConfigValidator.Validate(config, out var model);
        // As root, check itself reads everything: what the service user may read is worked out from the files' modes.
        var access = ServiceUserAccess.For(serviceUser ?? ServiceUnit.User, UnixAccounts.Load());
        if (access is null && serviceUser is not null)
            errors.Add(new("--service-user", $"there is no user '{serviceUser}' on this machine (/etc/passwd): name the user the service runs as"));
        var found = DeploymentCheck.Run(config, configFile.FullName, model, access, TimeProvider.System.GetUtcNow());
        errors.AddRange(found.Errors);
        foreach (var warning in found.Warnings) Console.WriteLine($"warning: {warning}");
        if (errors.Count > 0 || model is null)
        {
            await Console.Error.WriteLineAsync("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e))).ConfigureAwait(false);
            return ExitCodes.InvalidConfig;
        }
        Console.WriteLine($"config OK: device {config.DeviceId}, {config.Cameras.Count(c => c.Enabled)} camera(s), " +
            $"workers [{string.Join(", ", config.Pool.Workers.Select(w => w.Device))}], model {model.Manifest.Name}");
        Console.WriteLine(access is null
            ? $"notice: there is no user {ServiceUnit.User} here (a checkout, or install.sh has not run): not checked whether the service can read the config's files (--service-user NAME checks for another user)"
            : $"service user {access.User.Name}: can read the files the config names and write its data directory (those that exist here)");
        // update.sh and install.sh wait on this file for the new release to say it is healthy.
        Console.WriteLine($"health file: {config.HealthFilePath}");
        // install.sh reads this line: it refuses a device that takes unsigned changes unless told --insecure.
        Console.WriteLine(string.IsNullOrEmpty(config.Security?.FleetPublicKey)
            ? "signed config and commands: not required (no security.fleetPublicKey: anyone who can publish to this device's topics configures it)"
            : "signed config and commands: required");
        if (NativeLibraries.ProbeOpenCv() is { } openCvError)
        {
            await Console.Error.WriteLineAsync(openCvError).ConfigureAwait(false);
            return ExitCodes.NativeLibraryMissing;
        }
        string[] providers = OrtEnv.Instance().GetAvailableProviders();
        Console.WriteLine($"ONNX Runtime {OrtEnv.Instance().GetVersionString()} ({NativeLibraries.Redirected(NativeLibraries.OnnxRuntimeVariable) ?? "bundled"}): " +
            string.Join(", ", providers));
        Console.WriteLine($"OpenCV {OpenCvSharp.Cv2.GetVersionString()} ({NativeLibraries.Redirected(NativeLibraries.OpenCvVariable) ?? "bundled"})");
        foreach (var worker in config.Pool.Workers)
        {
            if (!ExecutionDevice.TryParse(worker.Device, out var device)) continue; // the validator has already passed it
            if (device.ProviderName is { } needed && !providers.Contains(needed))
                Console.WriteLine($"warning: {worker.Device} needs {needed}, which this ONNX Runtime lacks: that worker will run on the CPU");
        }
        return ExitCodes.Ok;
    }
}
