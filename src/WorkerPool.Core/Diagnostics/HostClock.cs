using System.Runtime.InteropServices;

namespace WorkerPool.Diagnostics;

/// <summary>
/// What the host says about its wall clock. A board without a real-time clock boots with a stale time and steps it
/// when NTP (or GPS, PTP) first answers, so wall-clock times from before that moment mean little: counts windowed
/// then are marked, and ages are measured on the monotonic clock instead.
/// </summary>
public interface IHostClock
{
    /// <summary>True when the kernel's clock is disciplined by a time source (adjtimex reports no <c>STA_UNSYNC</c>).</summary>
    bool Synchronized { get; }

    /// <summary>Id of the running boot: monotonic timestamps compare only within one boot.</summary>
    string BootId { get; }
}

/// <summary>
/// The Linux kernel's view: <c>adjtimex(2)</c> (read-only) for synchronisation, <c>/proc/sys/kernel/random/boot_id</c>
/// for the boot. Where a seccomp filter denies adjtimex (systemd's <c>ProtectClock=</c>), systemd-timesyncd's
/// <c>/run/systemd/timesync/synchronized</c> marker answers instead.
/// </summary>
public sealed partial class LinuxHostClock : IHostClock
{
    private const int TimeError = 5; // TIME_ERROR: the clock is not synchronised

    /// <summary>The host's clock.</summary>
    public static readonly LinuxHostClock Instance = new();

    private LinuxHostClock()
    {
        try { BootId = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { BootId = ""; }
    }

    /// <inheritdoc />
    public string BootId { get; }

    /// <inheritdoc />
    public bool Synchronized
    {
        get
        {
            if (!OperatingSystem.IsLinux()) return false;
            // struct timex is 208 bytes on 64-bit Linux; modes = 0 only reads. The return value is the clock state.
            Span<byte> timex = stackalloc byte[256];
            timex.Clear();
            int state;
            unsafe
            {
                fixed (byte* p = timex) state = adjtimex(p);
            }
            if (state >= 0) return state != TimeError;
            return File.Exists("/run/systemd/timesync/synchronized");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int adjtimex(byte* buffer);
}
