namespace WorkerPool.Contracts;

/// <summary>What the device answers on <c>config/reported</c> (retained when applied).</summary>
/// <param name="Version">The version this answer is about (the applied one for <c>applied</c>).</param>
/// <param name="Status"><c>applied</c>, <c>rejected</c> or <c>ignored</c>.</param>
/// <param name="Errors">Why, each with the path in the desired payload (e.g. <c>config.cameras[0].lines[0].to</c>).</param>
/// <param name="EffectiveHash">SHA-256 (hex) of the canonical JSON of the config in effect after this message.</param>
public sealed record ReportedConfig(long Version, string Status, IReadOnlyList<ConfigError> Errors, string EffectiveHash);

/// <summary>One problem in a config, named by its JSON path (e.g. <c>cameras[0].lines[1].from</c>).</summary>
public sealed record ConfigError(string Path, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Message}";
}
