using WorkerPool.Contracts;

namespace WorkerPool.Config;

/// <summary>A config that cannot be used; carries every error found, not just the first.</summary>
public sealed class ConfigException(IReadOnlyList<ConfigError> errors)
    : Exception("Invalid configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  " + e)))
{
    /// <summary>All errors, each with its path.</summary>
    public IReadOnlyList<ConfigError> Errors { get; } = errors;
}
