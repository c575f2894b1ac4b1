namespace WorkerPool.Fleet;

/// <summary>Process exit codes of <c>workerpool-fleet</c>.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    /// <summary>Bad arguments or input files.</summary>
    public const int InvalidInput = 2;
}
