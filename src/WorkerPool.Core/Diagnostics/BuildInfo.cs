namespace WorkerPool.Diagnostics;

/// <summary>The running build: the product version, and the informational version with its build metadata (<c>0.1.0+1a2b3c4</c>).</summary>
public sealed record BuildInfo(string Version, string FullVersion);
