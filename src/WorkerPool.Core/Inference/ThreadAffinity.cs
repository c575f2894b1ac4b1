using System.Runtime.InteropServices;

namespace WorkerPool.Inference;

/// <summary>Linux CPU pinning of the calling thread (sched_setaffinity), so a worker's compute stays on its cores.</summary>
public static partial class ThreadAffinity
{
    private const int MaskBytes = 128; // 1024 CPUs, the kernel's default CONFIG_NR_CPUS ceiling on most boards

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int sched_setaffinity(int pid, nint cpusetsize, byte* mask);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int sched_getaffinity(int pid, nint cpusetsize, byte* mask);

    /// <summary>Pins the calling OS thread (and threads it creates later) to <paramref name="cores"/>.</summary>
    /// <exception cref="InvalidOperationException">The kernel refused the mask.</exception>
    public static unsafe void PinCurrentThread(IReadOnlyList<int> cores)
    {
        if (!OperatingSystem.IsLinux() || cores.Count == 0) return;
        byte* mask = stackalloc byte[MaskBytes];
        new Span<byte>(mask, MaskBytes).Clear();
        foreach (int core in cores)
        {
            if (core < 0 || core >= MaskBytes * 8) throw new ArgumentOutOfRangeException(nameof(cores), core, "core index out of range");
            mask[core / 8] |= (byte)(1 << (core % 8));
        }
        if (sched_setaffinity(0, MaskBytes, mask) != 0)
            throw new InvalidOperationException($"sched_setaffinity({FormatList(cores)}) failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>Cores the calling thread may run on (all cores on non-Linux systems).</summary>
    public static unsafe SortedSet<int> AllowedCores()
    {
        var set = new SortedSet<int>();
        if (OperatingSystem.IsLinux())
        {
            byte* mask = stackalloc byte[MaskBytes];
            if (sched_getaffinity(0, MaskBytes, mask) == 0)
            {
                for (int i = 0; i < MaskBytes * 8; i++)
                    if ((mask[i / 8] & (1 << (i % 8))) != 0) set.Add(i);
                return set;
            }
        }
        for (int i = 0; i < Environment.ProcessorCount; i++) set.Add(i);
        return set;
    }

    /// <summary>The kernel's own view of the calling thread's allowed CPUs (<c>Cpus_allowed_list</c>), or null off Linux.</summary>
    public static string? ReadCurrentThreadCpusAllowed()
    {
        const string path = "/proc/thread-self/status";
        if (!File.Exists(path)) return null;
        foreach (var line in File.ReadLines(path))
            if (line.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal))
                return line["Cpus_allowed_list:".Length..].Trim();
        return null;
    }

    /// <summary>Formats cores as a comma list.</summary>
    public static string FormatList(IEnumerable<int> cores) => string.Join(",", cores);
}
