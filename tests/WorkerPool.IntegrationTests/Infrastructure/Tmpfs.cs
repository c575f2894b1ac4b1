using System.Diagnostics;

namespace WorkerPool.IntegrationTests.Infrastructure;

/// <summary>A small tmpfs over a test directory, to fill up on purpose (a real full disk). Mounting needs root.</summary>
public static class Tmpfs
{
    /// <summary>Mounts a tmpfs of <paramref name="size"/> (e.g. <c>2m</c>) on <paramref name="dir"/>; false where that is not allowed.</summary>
    public static bool TryMount(string dir, string size) =>
        Environment.UserName == "root" && Run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", dir) == 0;

    /// <summary>Unmounts it (lazily: a process may still hold a file there).</summary>
    public static void Unmount(string dir) => Run("umount", "-l", dir);

    /// <summary>Writes <paramref name="path"/> until the file system is full (bounded to 1 GiB).</summary>
    public static void Fill(string path)
    {
        var chunk = new byte[16 * 1024];
        using var filler = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        try
        {
            for (int i = 0; i < 65_536; i++) { filler.Write(chunk); filler.Flush(); }
        }
        catch (IOException) { } // ENOSPC: full now
    }

    private static int Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        p.WaitForExit(20_000);
        return p.ExitCode;
    }
}
