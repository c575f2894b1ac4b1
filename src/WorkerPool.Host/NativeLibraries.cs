using System.Reflection;
using System.Runtime.InteropServices;

namespace WorkerPool.Host;

/// <summary>
/// Lets a device load native libraries other than those published beside the binary: JetPack's GPU build of ONNX
/// Runtime (<c>WORKERPOOL_ONNXRUNTIME</c>) and an OpenCvSharp extern built against the board's OpenCV
/// (<c>WORKERPOOL_OPENCVSHARP_EXTERN</c>). Both are set in <c>/etc/workerpool/workerpool.env</c> (docs/JETSON.md).
/// </summary>
internal static partial class NativeLibraries
{
    public const string OnnxRuntimeVariable = "WORKERPOOL_ONNXRUNTIME";
    public const string OpenCvVariable = "WORKERPOOL_OPENCVSHARP_EXTERN";

    /// <summary>
    /// Turns ONNX Runtime's usage telemetry off and installs the redirections; returns an error message when a
    /// variable names a file that is not there. Call first, before anything loads a native library.
    /// </summary>
    public static string? Configure()
    {
        // ONNX Runtime starts a telemetry uploader (and keeps a device id and an event database under
        // ~/.cache/Microsoft) when its environment is created, unless this variable is in the native environment.
        // A device never sends usage data to a third party. Environment.SetEnvironmentVariable would not reach
        // getenv() on Linux, so libc's setenv does it; it runs before any other thread of ours exists.
        _ = setenv("ORT_DISABLE_TELEMETRY", "1", 0);
        return Redirect(typeof(Microsoft.ML.OnnxRuntime.OrtEnv).Assembly, "onnxruntime", OnnxRuntimeVariable)
            ?? Redirect(typeof(OpenCvSharp.Mat).Assembly, "OpenCvSharpExtern", OpenCvVariable);
    }

    /// <summary>
    /// Loads ONNX Runtime and OpenCV's extern now, so a missing or broken native library stops the command at start
    /// with what to do, rather than failing later inside a worker or a camera thread. Returns the error, or null.
    /// </summary>
    public static string? Probe() => ProbeOnnxRuntime() ?? ProbeOpenCv();

    /// <summary>
    /// Creates ONNX Runtime's process-wide environment (so call it before anything else uses ONNX Runtime):
    /// warnings and errors only in the log, and no usage telemetry from a device. Returns the error, or null.
    /// </summary>
    public static string? ProbeOnnxRuntime()
    {
        try
        {
            var options = new Microsoft.ML.OnnxRuntime.EnvironmentCreationOptions { logLevel = Microsoft.ML.OnnxRuntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
            var env = Microsoft.ML.OnnxRuntime.OrtEnv.CreateInstanceWithOptions(ref options);
            env.DisableTelemetryEvents();
            _ = env.GetVersionString();
            return null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or BadImageFormatException
            or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            return $"ONNX Runtime ({Redirected(OnnxRuntimeVariable) ?? "bundled"}) does not load: {ex.GetBaseException().Message}" + Environment.NewLine +
                $"  Set {OnnxRuntimeVariable} to a libonnxruntime.so built for this board (docs/JETSON.md).";
        }
    }

    /// <summary>Loads OpenCV's extern; returns the error, or null.</summary>
    public static string? ProbeOpenCv()
    {
        try { _ = OpenCvSharp.Cv2.GetVersionString(); }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or BadImageFormatException)
        {
            string library = Redirected(OpenCvVariable) ?? Path.Combine(AppContext.BaseDirectory, "libOpenCvSharpExtern.so");
            string hint = File.Exists(library)
                ? "  The file is there but does not load: it is not a library for this machine, or a library it links is missing (named above). " +
                  "On Debian x64, deploy/install-deps.sh runtime installs what the bundled one needs; for ARM64 boards see docs/JETSON.md."
                : $"  linux-arm64 releases carry none: build it for the board (deploy-scripts/jetson/build-opencvsharp-extern.sh) and set {OpenCvVariable} (docs/JETSON.md).";
            return $"OpenCV's native library OpenCvSharpExtern ({Redirected(OpenCvVariable) ?? "bundled"}) does not load: {ex.GetBaseException().Message}" +
                Environment.NewLine + hint;
        }
        return null;
    }

    /// <summary>The library path a variable redirects to, for the start-up log; null when not redirected.</summary>
    public static string? Redirected(string variable) => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } p ? p : null;

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    private static string? Redirect(Assembly assembly, string name, string variable)
    {
        if (Redirected(variable) is not { } path) return null;
        if (!File.Exists(path)) return $"{variable}={path}: no such file";
        try
        {
            NativeLibrary.SetDllImportResolver(assembly, (library, _, _) =>
                library == name || library == "lib" + name ? NativeLibrary.Load(path) : IntPtr.Zero);
            return null;
        }
        catch (InvalidOperationException ex)
        {
            return $"{variable}: {assembly.GetName().Name} already resolves its native library itself ({ex.Message})";
        }
    }
}
