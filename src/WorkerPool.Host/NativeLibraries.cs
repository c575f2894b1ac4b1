using System.Reflection;
using System.Runtime.InteropServices;

namespace WorkerPool.Host;

/// <summary>
/// Lets a device load native libraries other than those published beside the binary: JetPack's GPU build of ONNX
/// Runtime (<c>WORKERPOOL_ONNXRUNTIME</c>) and an OpenCvSharp extern built against the board's OpenCV
/// (<c>WORKERPOOL_OPENCVSHARP_EXTERN</c>). Both are set in <c>/etc/workerpool/workerpool.env</c> (docs/JETSON.md).
/// </summary>
internal static class NativeLibraries
{
    public const string OnnxRuntimeVariable = "WORKERPOOL_ONNXRUNTIME";
    public const string OpenCvVariable = "WORKERPOOL_OPENCVSHARP_EXTERN";

    /// <summary>Installs the redirections; returns an error message when a variable names a file that is not there.</summary>
    public static string? Configure()
    {
        return Redirect(typeof(Microsoft.ML.OnnxRuntime.OrtEnv).Assembly, "onnxruntime", OnnxRuntimeVariable)
            ?? Redirect(typeof(OpenCvSharp.Mat).Assembly, "OpenCvSharpExtern", OpenCvVariable);
    }

    /// <summary>
    /// Loads ONNX Runtime and OpenCV's extern now, so a missing or broken native library stops the command at start
    /// with what to do, rather than failing later inside a worker or a camera thread. Returns the error, or null.
    /// </summary>
    public static string? Probe()
    {
        try { _ = Microsoft.ML.OnnxRuntime.OrtEnv.Instance().GetVersionString(); }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or BadImageFormatException
            or Microsoft.ML.OnnxRuntime.OnnxRuntimeException)
        {
            return $"ONNX Runtime ({Redirected(OnnxRuntimeVariable) ?? "bundled"}) does not load: {ex.GetBaseException().Message}" + Environment.NewLine +
                $"  Set {OnnxRuntimeVariable} to a libonnxruntime.so built for this board (docs/JETSON.md).";
        }
        try { _ = OpenCvSharp.Cv2.GetVersionString(); }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or BadImageFormatException)
        {
            return $"OpenCV's native library OpenCvSharpExtern ({Redirected(OpenCvVariable) ?? "bundled"}) does not load: {ex.GetBaseException().Message}" + Environment.NewLine +
                $"  linux-arm64 releases carry none: build it for the board (deploy-scripts/jetson/build-opencvsharp-extern.sh) and set {OpenCvVariable} (docs/JETSON.md).";
        }
        return null;
    }

    /// <summary>The library path a variable redirects to, for the start-up log; null when not redirected.</summary>
    public static string? Redirected(string variable) => Environment.GetEnvironmentVariable(variable) is { Length: > 0 } p ? p : null;

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
