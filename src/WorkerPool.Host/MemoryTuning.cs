using System.Runtime.InteropServices;

namespace WorkerPool.Host;

/// <summary>
/// Keeps the native heap of a long-running device small. glibc gives a thread that meets a busy malloc lock an arena
/// of its own (up to eight per core, each grown in 64 MiB reservations): the inference workers, ONNX Runtime's and
/// OpenCV's threads and the camera readers each grew one, and RSS kept rising for minutes before it levelled off.
/// Two arenas are plenty for this workload (measured in docs/BENCHMARKS.md). The GC's side of it,
/// <c>DOTNET_GCgen0size</c>, can only be given in the environment: the systemd unit and deploy-scripts/workerpool set it.
/// </summary>
internal static partial class MemoryTuning
{
    private const int ArenaMax = -8; // M_ARENA_MAX in glibc's malloc.h

    /// <summary>Caps glibc's malloc arenas at two, unless MALLOC_ARENA_MAX says otherwise. Call first thing, before threads start.</summary>
    public static void Apply()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable("MALLOC_ARENA_MAX") is { Length: > 0 }) return;
        try { _ = mallopt(ArenaMax, 2); }
        catch (EntryPointNotFoundException) { } // not glibc (musl has one heap anyway)
        catch (DllNotFoundException) { }
    }

    [LibraryImport("libc")]
    private static partial int mallopt(int param, int value);
}
