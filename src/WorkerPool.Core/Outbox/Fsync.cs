using System.Runtime.InteropServices;

namespace WorkerPool.Outbox;

/// <summary>
/// fsync(2) by path. LiteDB 5.0 commits to the OS page cache but never forces it to the device; syncing the
/// file's inode from our own descriptor (Linux syncs an inode, whichever descriptor wrote it) makes an append
/// survive a power cut, not just a process crash.
/// </summary>
internal static partial class Fsync
{
    private const int ReadOnly = 0;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    /// <summary>Syncs a file or directory; false where it cannot (not Linux, missing file).</summary>
    public static bool Path(string path)
    {
        if (!OperatingSystem.IsLinux()) return false;
        int fd = open(path, ReadOnly);
        if (fd < 0) return false;
        try { return fsync(fd) == 0; }
        finally { close(fd); }
    }
}
