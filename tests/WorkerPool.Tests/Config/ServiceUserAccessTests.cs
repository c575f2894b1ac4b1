using System.Runtime.Versioning;
using WorkerPool.Config.Validation;

namespace WorkerPool.Tests.Config;

/// <summary>
/// Whether the service user can read a file, from owner, group and mode bits: with users and groups of the
/// test's own (a passwd and group file written here around the owner of the test's files), so it needs neither
/// root nor a workerpool user.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ServiceUserAccessTests : IDisposable
{
    private const UnixFileMode Rw = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "access-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly uint _ownerUid, _ownerGid;

    public ServiceUserAccessTests()
    {
        Directory.CreateDirectory(_dir);
        File.SetUnixFileMode(_dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        var me = UnixFileStatus.Of(_dir)!.Value;
        (_ownerUid, _ownerGid) = (me.Uid, me.Gid);
    }

    public void Dispose()
    {
        File.SetUnixFileMode(_dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>An account file pair: "svc" (not the owner), in the owner's group or not; "owner" owns the files.</summary>
    private ServiceUserAccess Svc(bool inOwnersGroup, string user = "svc")
    {
        uint svcUid = _ownerUid == 4242 ? 4243u : 4242u;
        uint otherGid = _ownerGid == 4242 ? 4243u : 4242u;
        string passwd = Path.Combine(_dir, "passwd"), group = Path.Combine(_dir, "group");
        File.WriteAllLines(passwd, [
            $"owner:x:{_ownerUid}:{_ownerGid}::/:/bin/false",
            $"svc:x:{svcUid}:{otherGid}::/var/lib/svc:/usr/sbin/nologin",
        ]);
        File.WriteAllLines(group, [
            $"ownergroup:x:{_ownerGid}:{(inOwnersGroup ? "svc" : "")}",
            $"svcgroup:x:{otherGid}:",
        ]);
        return ServiceUserAccess.For(user, UnixAccounts.Load(passwd, group))!;
    }

    private string FileWithMode(string name, UnixFileMode mode)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, "secret");
        File.SetUnixFileMode(path, mode);
        return path;
    }

    [Fact]
    public void KeyReadableByItsOwnerOnly_CannotBeReadByTheServiceUser_AndTheMessageSaysHowToFixIt()
    {
        string key = FileWithMode("device.key", Rw);
        string? problem = Svc(inOwnersGroup: true).CannotRead(key);
        Assert.NotNull(problem);
        Assert.Contains($"the service user svc cannot read '{key}' (mode 0600, owner owner, group ownergroup)", problem, StringComparison.Ordinal);
        Assert.Contains($"chgrp svc '{key}' && chmod g+r '{key}'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void GroupReadableFile_IsReadableByAMemberOfItsGroupOnly()
    {
        string key = FileWithMode("device.key", Rw | UnixFileMode.GroupRead);
        Assert.Null(Svc(inOwnersGroup: true).CannotRead(key));
        Assert.NotNull(Svc(inOwnersGroup: false).CannotRead(key));
    }

    [Fact]
    public void WorldReadableFile_IsReadable() =>
        Assert.Null(Svc(inOwnersGroup: false).CannotRead(FileWithMode("ca.crt", Rw | UnixFileMode.GroupRead | UnixFileMode.OtherRead)));

    [Fact]
    public void ReadableFileInAFolderTheUserCannotEnter_IsReported_NamingTheFolder()
    {
        string folder = Path.Combine(_dir, "private");
        Directory.CreateDirectory(folder);
        string file = Path.Combine(folder, "ca.crt");
        File.WriteAllText(file, "x");
        File.SetUnixFileMode(file, Rw | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string? problem = Svc(inOwnersGroup: true).CannotRead(file);
        Assert.Contains($"the folder '{folder}' (mode 0700, owner owner, group ownergroup) does not let it through", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void FolderWritableByItsOwnerOnly_CannotTakeTheOutbox()
    {
        string folder = Path.Combine(_dir, "data");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);
        Assert.Contains("cannot write in", Svc(inOwnersGroup: true).CannotWriteIn(folder), StringComparison.Ordinal);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute);
        Assert.Null(Svc(inOwnersGroup: true).CannotWriteIn(folder));
    }

    [Fact]
    public void MissingFile_IsNotThisChecksToReport() => Assert.Null(Svc(inOwnersGroup: false).CannotRead(Path.Combine(_dir, "nope")));

    [Fact]
    public void UnknownUser_HasNoAccessToCheck()
    {
        Svc(inOwnersGroup: false);
        Assert.Null(ServiceUserAccess.For("workerpool-nobody", UnixAccounts.Load(Path.Combine(_dir, "passwd"), Path.Combine(_dir, "group"))));
    }

    [Fact]
    public void Accounts_GiveTheUserItsPrimaryGroupItsMembershipsAndTheUnitsSupplementaryGroups()
    {
        string passwd = Path.Combine(_dir, "passwd"), group = Path.Combine(_dir, "group");
        File.WriteAllLines(passwd, ["# comment", "workerpool:x:998:997::/var/lib/workerpool:/usr/sbin/nologin", "broken line"]);
        File.WriteAllLines(group, ["workerpool:x:997:", "video:x:44:", "gpio:x:996:", "certs:x:1500:alice, workerpool", "audio:x:29:alice"]);
        var user = UnixAccounts.Load(passwd, group).Find("workerpool", ServiceUnit.SupplementaryGroups)!;
        Assert.Equal(998u, user.Uid);
        Assert.Equal(new uint[] { 44, 996, 997, 1500 }, user.Groups.Order());
    }

    [Fact]
    public void FileStatus_ReadsOwnerAndMode()
    {
        string file = FileWithMode("f", Rw | UnixFileMode.GroupRead);
        var status = UnixFileStatus.Of(file)!.Value;
        Assert.Equal(("640", _ownerUid, false), (Convert.ToString(status.Mode, 8), status.Uid, status.IsDirectory));
        Assert.True(UnixFileStatus.Of(_dir)!.Value.IsDirectory);
        Assert.Null(UnixFileStatus.Of(Path.Combine(_dir, "missing")));
    }
}
