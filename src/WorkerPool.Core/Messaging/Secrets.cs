using WorkerPool.Config;

namespace WorkerPool.Messaging;

/// <summary>Reads the broker password from a file or an environment variable; it is never logged or echoed.</summary>
internal static class Secrets
{
    public static string? ReadPassword(MqttOptions options)
    {
        if (!string.IsNullOrEmpty(options.PasswordFile))
            return File.ReadLines(options.PasswordFile).FirstOrDefault()?.TrimEnd('\r', '\n') ?? "";
        if (!string.IsNullOrEmpty(options.PasswordEnv)) return Environment.GetEnvironmentVariable(options.PasswordEnv);
        return null;
    }
}
