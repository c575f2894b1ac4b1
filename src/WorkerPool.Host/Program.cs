using WorkerPool.Host;

MemoryTuning.Apply();
// Before anything touches ONNX Runtime or OpenCV: a device may point them at its own native builds (docs/JETSON.md).
if (NativeLibraries.Configure() is { } nativeError)
{
    await Console.Error.WriteLineAsync(nativeError).ConfigureAwait(false);
    return ExitCodes.InvalidConfig;
}
return await Cli.Build().Parse(args).InvokeAsync().ConfigureAwait(false);
