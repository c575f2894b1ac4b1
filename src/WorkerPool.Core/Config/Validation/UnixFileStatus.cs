using System.Runtime.InteropServices;

namespace WorkerPool.Config.Validation;

/// <summary>Owner, group and mode of a file: what the kernel's permission check looks at.</summary>
/// <param name="Uid">Owner.</param>
/// <param name="Gid">Group.</param>
/// <param name="Mode">Permission bits (<c>0640</c>); the file type is in <paramref name="IsDirectory"/>.</param>
/// <param name="IsDirectory">A directory (for which the x bit means "may pass through").</param>
public readonly partial record struct UnixFileStatus(uint Uid, uint Gid, int Mode, bool IsDirectory)
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1, StatxMode = 0x2, StatxUid = 0x8, StatxGid = 0x10;

    // statx(2): its struct has one layout on every architecture (x64 and arm64 alike), unlike stat's.
    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int Statx(int dirfd, string path, int flags, uint mask, byte* buffer);

    /// <summary>The status of <paramref name="path"/> (symbolic links followed), or null when it cannot be had (missing, not Linux).</summary>
    public static unsafe UnixFileStatus? Of(string path)
    {
        if (!OperatingSystem.IsLinux()) return null;
        byte* buffer = stackalloc byte[256]; // sizeof(struct statx)
        if (Statx(AtFdCwd, path, 0, StatxType | StatxMode | StatxUid | StatxGid, buffer) != 0) return null;
        // struct statx: stx_uid at 20, stx_gid at 24, stx_mode (u16) at 28.
        uint uid = *(uint*)(buffer + 20);
        uint gid = *(uint*)(buffer + 24);
        int mode = *(ushort*)(buffer + 28);
        return new UnixFileStatus(uid, gid, mode & 0xFFF, (mode & 0xF000) == 0x4000);
    }

    /// <summary>Whether <paramref name="user"/> has <paramref name="bit"/> (4 read, 2 write, 1 execute/search): the owner's bits if it owns the file, else the group's if it holds the group, else the others'.</summary>
    public bool Allows(UnixUser user, int bit)
    {
        if (user.Uid == 0) return true; // root passes permission bits (the service never runs as root)
        int shift = user.Uid == Uid ? 6 : user.Groups.Contains(Gid) ? 3 : 0;
        return ((Mode >> shift) & bit) != 0;
    }
}
