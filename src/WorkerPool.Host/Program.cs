using System.CommandLine;
using WorkerPool.Host;

MemoryTuning.Apply();
// Before anything touches ONNX Runtime or OpenCV: a device may point them at its own native builds (docs/JETSON.md).
if (NativeLibraries.Configure() is { } nativeError)
{
    await Console.Error.WriteLineAsync(nativeError).ConfigureAwait(false);
    return ExitCodes.InvalidConfig;
}
// SIGTERM and SIGINT are the generic host's to handle (run stops the cameras, drains the pool, stores the open windows
// and says offline, within HostOptions.ShutdownTimeout): System.CommandLine's own handling would end the process
// with 143 two seconds after the signal, in the middle of that, whenever the stop took longer.
return await Cli.Build().Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null }).ConfigureAwait(false);
