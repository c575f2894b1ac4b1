namespace WorkerPool.Config;

/// <summary>One problem in a config, named by its JSON path (e.g. <c>cameras[0].lines[1].from</c>).</summary>
public sealed record ConfigError(string Path, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>A config that cannot be used; carries every error found, not just the first.</summary>
public sealed class ConfigException(IReadOnlyList<ConfigError> errors)
    : Exception("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
{
    /// <summary>All errors, each with its path.</summary>
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}
