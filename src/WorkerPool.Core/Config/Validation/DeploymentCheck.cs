using WorkerPool.Capture;
using WorkerPool.Contracts;
using WorkerPool.Inference;

namespace WorkerPool.Config.Validation;

/// <summary>What <c>check</c> found beyond the validator: errors (the device would fail) and warnings (it works, for now).</summary>
/// <param name="Errors">Problems that make the device fail: files the service user cannot read, folders the unit hides, expired certificates.</param>
/// <param name="Warnings">Problems ahead: certificates near expiry, ports that do not fit the TLS setting.</param>
public sealed record DeploymentFindings(List<ConfigError> Errors, List<ConfigError> Warnings);

/// <summary>
/// The checks <c>check</c> adds to the validator's, about the machine rather than the config: whether the service
/// user can read every file the config names and write where it writes, whether the unit hides any of them (an
/// installed config), and the certificates' dates. <c>run</c> does not make them: a certificate that expires, or a
/// file that became unreadable, must not stop a device from counting into its outbox.
/// </summary>
public static class DeploymentCheck
{
    /// <summary>Checks a config that passed the validator; <paramref name="access"/> is null where the service user does not exist (then readability is not checked).</summary>
    public static DeploymentFindings Run(DeviceConfig config, string configFile, ModelInfo? model, ServiceUserAccess? access, DateTimeOffset now)
    {
        var errors = new List<ConfigError>();
        var warnings = new List<ConfigError>();
        var reads = FilesRead(config, configFile, model);
        var writes = FoldersWritten(config);
        if (access is not null)
        {
            foreach (var (field, file) in reads)
                if (access.CannotRead(file) is { } problem) errors.Add(new(field, problem));
            foreach (var (field, folder) in writes)
                if (access.CannotWriteIn(folder) is { } problem) errors.Add(new(field, problem));
        }
        if (ServiceUnit.IsInstalled(config.BaseDirectory))
        {
            foreach (var (field, file) in reads.Concat(writes))
                if (ServiceUnit.HiddenProblem(file) is { } problem) errors.Add(new(field, problem));
        }
        if (config.Mqtt is { Enabled: true } mqtt)
        {
            if (mqtt.Tls is { Enabled: true } tls)
                TlsFiles.Expiry(tls, now, (p, m) => errors.Add(new(p, m)), (p, m) => warnings.Add(new(p, m)));
            if (mqtt.Tls is { Enabled: false } && mqtt.Port == 8883)
                warnings.Add(new("mqtt.port", "8883 is the MQTT port for TLS by convention, but mqtt.tls.enabled is false: set mqtt.tls.enabled: true, or use the broker's plain port (1883)"));
            else if (mqtt.Tls is { Enabled: true } && mqtt.Port == 1883)
                warnings.Add(new("mqtt.port", "1883 is the plain MQTT port by convention, but mqtt.tls.enabled is true: use the broker's TLS port (usually 8883)"));
        }
        return new DeploymentFindings(errors, warnings);
    }

    /// <summary>Every file the service opens for reading, by the field that names it.</summary>
    private static List<(string Field, string Path)> FilesRead(DeviceConfig config, string configFile, ModelInfo? model)
    {
        var files = new List<(string, string)> { ("config", Path.GetFullPath(configFile)) };
        if (config.Model is { Manifest: { Length: > 0 } manifest }) files.Add(("model.manifest", config.ResolvePath(manifest)));
        if (model is not null) files.Add((config.Model?.Path is { Length: > 0 } ? "model.path" : "model.manifest", model.Path));
        if (config.Mqtt is { Enabled: true } mqtt)
        {
            if (mqtt.PasswordFile is { Length: > 0 } pw) files.Add(("mqtt.passwordFile", pw));
            if (mqtt.Tls is { Enabled: true } tls)
            {
                if (tls.CaFile is { Length: > 0 } ca) files.Add(("mqtt.tls.caFile", ca));
                if (tls.CertFile is { Length: > 0 } cert) files.Add(("mqtt.tls.certFile", cert));
                if (tls.KeyFile is { Length: > 0 } key) files.Add(("mqtt.tls.keyFile", key));
            }
        }
        for (int i = 0; i < config.Cameras.Count; i++)
        {
            var camera = config.Cameras[i];
            if (camera is not { Enabled: true }) continue;
            if (camera.PasswordFile is { Length: > 0 } pw) files.Add(($"cameras[{i}].passwordFile", pw));
            if (CameraUri.TryParse(camera.Url, out var uri, out _) && uri!.Kind == SourceKind.File)
                files.Add(($"cameras[{i}].url", config.ResolvePath(uri.Location)));
        }
        return files;
    }

    /// <summary>The folders the service writes in: the data directory (outbox, remote-config state, health file) and the health file's own.</summary>
    private static List<(string Field, string Path)> FoldersWritten(DeviceConfig config)
    {
        var folders = new List<(string, string)> { ("outbox.path", config.DataDirectory) };
        string health = Path.GetDirectoryName(config.HealthFilePath) ?? config.DataDirectory;
        if (health != config.DataDirectory) folders.Add(("health.file", health));
        return folders;
    }
}
