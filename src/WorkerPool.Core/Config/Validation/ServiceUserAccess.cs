namespace WorkerPool.Config.Validation;

/// <summary>
/// Whether the service user can read a file or write in a folder, decided from owner, group and mode bits the way
/// the kernel decides it (every folder on the way must let the user through). Deterministic, and right for a check
/// run as root, which itself reads everything. POSIX ACLs are not consulted: a file readable only through an ACL
/// is reported as unreadable.
/// </summary>
public sealed class ServiceUserAccess(UnixUser user, UnixAccounts names)
{
    private const int Read = 4, Write = 2, Search = 1;

    /// <summary>The user checked for.</summary>
    public UnixUser User => user;

    /// <summary>Why the user cannot read <paramref name="file"/>, with what to do, or null when it can (or the file is missing: that is reported elsewhere).</summary>
    public string? CannotRead(string file)
    {
        string full = Path.GetFullPath(file);
        if (UnixFileStatus.Of(full) is not { } status) return null;
        if (Unreachable(full) is { } folder) return folder;
        if (status.Allows(user, Read)) return null;
        return $"the service user {user.Name} cannot read '{full}' ({Describe(status)}): let it, e.g. chgrp {user.Name} '{full}' && chmod g+r '{full}'";
    }

    /// <summary>Why the user cannot create and write files in <paramref name="folder"/>, or null when it can (or the folder does not exist yet).</summary>
    public string? CannotWriteIn(string folder)
    {
        string full = Path.GetFullPath(folder);
        if (UnixFileStatus.Of(full) is not { IsDirectory: true } status) return null;
        if (Unreachable(Path.Combine(full, ".")) is { } blocked) return blocked;
        if (status.Allows(user, Write) && status.Allows(user, Search)) return null;
        return $"the service user {user.Name} cannot write in '{full}' ({Describe(status)}): chown {user.Name}:{user.Name} '{full}' && chmod 0750 '{full}'";
    }

    /// <summary>The first folder above <paramref name="full"/> (its real path too, where links lead elsewhere) that does not let the user through.</summary>
    private string? Unreachable(string full)
    {
        foreach (string path in new[] { full, RealPath(full) }.Distinct(StringComparer.Ordinal))
        {
            for (string? dir = Path.GetDirectoryName(path); dir is not null; dir = Path.GetDirectoryName(dir))
            {
                if (UnixFileStatus.Of(dir) is { } status && !status.Allows(user, Search))
                    return $"the service user {user.Name} cannot reach '{full}': the folder '{dir}' ({Describe(status)}) does not let it through: " +
                        $"chmod o+x '{dir}', or chgrp {user.Name} '{dir}' && chmod g+x '{dir}'";
            }
        }
        return null;
    }

    private static string RealPath(string path)
    {
        try { return new FileInfo(path).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? path; }
        catch (IOException) { return path; }
    }

    private string Describe(UnixFileStatus status) =>
        $"mode {Convert.ToString(status.Mode, 8).PadLeft(4, '0')}, owner {names.UserName(status.Uid)}, group {names.GroupName(status.Gid)}";

    /// <summary>The user as the service runs: <paramref name="name"/>'s own groups and the unit's supplementary ones; null when there is no such user.</summary>
    public static ServiceUserAccess? For(string name, UnixAccounts accounts) =>
        accounts.Find(name, ServiceUnit.SupplementaryGroups) is { } found ? new ServiceUserAccess(found, accounts) : null;
}
