using System.Globalization;

namespace WorkerPool.Config.Validation;

/// <summary>A user as the kernel checks file access for it: its uid and every group it holds.</summary>
/// <param name="Name">User name.</param>
/// <param name="Uid">User id.</param>
/// <param name="Groups">The primary group, the groups that list the user as a member, and any given besides (the unit's <c>SupplementaryGroups=</c>).</param>
public sealed record UnixUser(string Name, uint Uid, IReadOnlySet<uint> Groups);

/// <summary>
/// Users and groups from <c>/etc/passwd</c> and <c>/etc/group</c> (the files <c>useradd --system</c> writes on a
/// device; directory services are not consulted). Read once; the paths are parameters so tests can use their own.
/// </summary>
public sealed class UnixAccounts
{
    private readonly Dictionary<string, (uint Uid, uint Gid)> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<uint, string> _userNames = [];
    private readonly Dictionary<string, (uint Gid, string[] Members)> _groups = new(StringComparer.Ordinal);
    private readonly Dictionary<uint, string> _groupNames = [];

    private UnixAccounts() { }

    /// <summary>Reads the two files; a missing file is an empty one.</summary>
    public static UnixAccounts Load(string passwdFile = "/etc/passwd", string groupFile = "/etc/group")
    {
        var accounts = new UnixAccounts();
        foreach (var f in Records(passwdFile, 4))
        {
            if (!TryId(f[2], out uint uid) || !TryId(f[3], out uint gid)) continue;
            accounts._users.TryAdd(f[0], (uid, gid));
            accounts._userNames.TryAdd(uid, f[0]);
        }
        foreach (var f in Records(groupFile, 3))
        {
            if (!TryId(f[2], out uint gid)) continue;
            string[] members = f.Length > 3 ? f[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
            accounts._groups.TryAdd(f[0], (gid, members));
            accounts._groupNames.TryAdd(gid, f[0]);
        }
        return accounts;
    }

    /// <summary>The user named <paramref name="name"/> with its groups and <paramref name="extraGroups"/> (those that exist), or null when there is no such user.</summary>
    public UnixUser? Find(string name, IEnumerable<string>? extraGroups = null)
    {
        if (!_users.TryGetValue(name, out var user)) return null;
        var groups = new HashSet<uint> { user.Gid };
        foreach (var (gid, members) in _groups.Values)
            if (members.Contains(name, StringComparer.Ordinal)) groups.Add(gid);
        foreach (string extra in extraGroups ?? [])
            if (_groups.TryGetValue(extra, out var g)) groups.Add(g.Gid);
        return new UnixUser(name, user.Uid, groups);
    }

    /// <summary>The name of user id <paramref name="uid"/>, or the number.</summary>
    public string UserName(uint uid) => _userNames.TryGetValue(uid, out string? name) ? name : uid.ToString(CultureInfo.InvariantCulture);

    /// <summary>The name of group id <paramref name="gid"/>, or the number.</summary>
    public string GroupName(uint gid) => _groupNames.TryGetValue(gid, out string? name) ? name : gid.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<string[]> Records(string file, int minFields)
    {
        if (!File.Exists(file)) yield break;
        foreach (string line in File.ReadLines(file))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            string[] fields = line.Split(':');
            if (fields.Length >= minFields) yield return fields;
        }
    }

    private static bool TryId(string text, out uint id) => uint.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id);
}
