using System.Runtime.InteropServices;

namespace WorkerPool.Host;

/// <summary>
/// Keeps the native heap of a long-running device small (measured in docs/BENCHMARKS.md).
/// <list type="bullet">
/// <item>Arenas: glibc gives a thread that meets a busy malloc lock an arena of its own (up to eight per core, each
/// grown in 64 MiB reservations): the inference workers, ONNX Runtime's and OpenCV's threads and the camera readers
/// each grew one, and RSS kept rising for minutes before it levelled off. Two are plenty for this workload.</item>
/// <item>The mmap threshold: glibc raises it each time a large mmapped block is freed, up to 32 MiB, so a camera
/// restart's decoder buffers came from the heap afterwards and stayed there when freed: RSS grew by about 3 MiB at
/// every restart of a file camera. Fixed at 256 KiB, large buffers are mapped and unmapped again. Frames, tensors
/// and ONNX Runtime's arena are allocated once, so this costs no system calls per frame.</item>
/// </list>
/// The GC's side of it, <c>DOTNET_GCgen0size</c>, can only be given in the environment: the systemd unit and
/// deploy-scripts/workerpool set it.
/// </summary>
internal static partial class MemoryTuning
{
    private const int ArenaMax = -8, MmapThreshold = -3; // M_ARENA_MAX, M_MMAP_THRESHOLD in glibc's malloc.h

    /// <summary>Applies both, each unless its glibc environment variable says otherwise. Call first thing, before threads start.</summary>
    public static void Apply()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            if (Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is not { Length: > 0 }) _ = mallopt(ArenaMax, 2);
            if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is not { Length: > 0 }) _ = mallopt(MmapThreshold, 256 * 1024);
        }
        catch (EntryPointNotFoundException) { } // not glibc (musl has one heap anyway)
        catch (DllNotFoundException) { }
    }

    [LibraryImport("libc")]
    private static partial int mallopt(int param, int value);
}
