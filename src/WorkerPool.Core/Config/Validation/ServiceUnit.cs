namespace WorkerPool.Config.Validation;

/// <summary>
/// What the systemd unit (<c>deploy-scripts/systemd/workerpool.service</c>) lets the service see and write, so that a
/// config is refused for paths the service could not use there. A unit test keeps these lists in step with the unit.
/// </summary>
public static class ServiceUnit
{
    /// <summary>The unit's <c>User=</c>.</summary>
    public const string User = "workerpool";

    /// <summary>The unit's <c>SupplementaryGroups=</c>: the service has them besides the user's own groups.</summary>
    public static readonly IReadOnlyList<string> SupplementaryGroups = ["video", "gpio"];

    /// <summary>The unit's <c>ReadWritePaths=</c> (and <c>StateDirectory=</c>): with <c>ProtectSystem=strict</c>, the only place it writes.</summary>
    public static readonly IReadOnlyList<string> WritablePaths = ["/var/lib/workerpool"];

    /// <summary>
    /// Folders read-only for the service wherever it runs (<c>ProtectSystem=</c> covers them in every mode), and
    /// the release folder, replaced at each update: a path here is wrong in a checkout too.
    /// </summary>
    public static readonly IReadOnlyList<string> ReadOnlyRoots = ["/etc", "/usr", "/boot", "/efi", "/opt/workerpool"];

    /// <summary>Folders the unit hides: <c>ProtectHome=yes</c> makes these empty and <c>PrivateTmp=yes</c> gives the service its own /tmp.</summary>
    public static readonly IReadOnlyList<string> HiddenRoots = ["/home", "/root", "/run/user", "/tmp", "/var/tmp"];

    /// <summary>A config under this folder is installed for the unit (<c>/etc/workerpool/config.json</c>), and the unit's rules hold in full.</summary>
    public const string InstalledConfigRoot = "/etc";

    /// <summary>Where the outbox goes on a device.</summary>
    public const string DeviceOutbox = "/var/lib/workerpool/outbox.db";

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or inside it (both full paths).</summary>
    public static bool IsUnder(string path, string root) =>
        path == root || path.StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal);

    /// <summary>True when the config file's folder is where the unit reads it from, so every unit rule applies.</summary>
    public static bool IsInstalled(string configDirectory) => IsUnder(Path.GetFullPath(configDirectory), InstalledConfigRoot);

    /// <summary>
    /// Why the service could not write <paramref name="path"/> (a file it creates), or null. Read-only roots are
    /// refused everywhere; for an installed config anything outside <see cref="WritablePaths"/> is.
    /// </summary>
    public static string? WriteProblem(string path, string configDirectory)
    {
        string full = Path.GetFullPath(path);
        string writable = string.Join(" or ", WritablePaths);
        if (ReadOnlyRoots.FirstOrDefault(r => IsUnder(full, r)) is { } root)
            return $"'{full}' is under {root}, which the service cannot write (the unit's ProtectSystem=strict leaves it only {writable})";
        if (IsInstalled(configDirectory) && !WritablePaths.Any(w => IsUnder(full, w)))
            return $"'{full}' is outside {writable}, the one place the installed service may write (ProtectSystem=strict and ReadWritePaths in workerpool.service)";
        return null;
    }

    /// <summary>Why the installed service could not see <paramref name="path"/> (a file it reads), or null.</summary>
    public static string? HiddenProblem(string path)
    {
        string full = Path.GetFullPath(path);
        if (HiddenRoots.FirstOrDefault(r => IsUnder(full, r)) is not { } root) return null;
        string why = root is "/tmp" or "/var/tmp" ? "PrivateTmp=yes gives the service a /tmp of its own" : "ProtectHome=yes hides it from the service";
        return $"'{full}' is under {root}, which the installed service cannot see ({why} in workerpool.service): move it under /etc/workerpool";
    }
}
