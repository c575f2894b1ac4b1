using WorkerPool.Config;

namespace WorkerPool.Capture;

/// <summary>
/// A camera's user name and password (<c>cameras[].username</c>, <c>passwordFile</c> / <c>passwordEnv</c>), read
/// when its stream is opened (so a changed password file is used at the next reconnect) and put into the URL
/// handed to FFmpeg only. Nothing else sees them: the config holds a file name or a variable name, and every
/// line FFmpeg writes back is masked with <see cref="Redact"/> before it reaches a log or a status.
/// </summary>
public sealed class CameraCredentials
{
    private readonly string? _password;

    private CameraCredentials(string? user, string? password)
    {
        User = user;
        _password = password;
    }

    /// <summary>The user name, or null when the camera has none.</summary>
    public string? User { get; }

    /// <summary>Reads the camera's credentials; throws <see cref="IOException"/> saying which setting to fix when the password cannot be read.</summary>
    public static CameraCredentials Of(CameraOptions camera)
    {
        if (string.IsNullOrEmpty(camera.Username)) return new(null, null);
        return new(camera.Username, ReadPassword(camera));
    }

    private static string? ReadPassword(CameraOptions camera)
    {
        if (!string.IsNullOrEmpty(camera.PasswordFile))
        {
            try { return File.ReadLines(camera.PasswordFile).FirstOrDefault()?.TrimEnd('\r') ?? ""; }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"cannot read the password file of camera {camera.Id} (cameras[].passwordFile '{camera.PasswordFile}'): {ex.Message}", ex);
            }
        }
        if (!string.IsNullOrEmpty(camera.PasswordEnv))
        {
            return Environment.GetEnvironmentVariable(camera.PasswordEnv)
                ?? throw new IOException($"camera {camera.Id}: the environment variable {camera.PasswordEnv} (cameras[].passwordEnv) is not set; the service reads it from /etc/workerpool/workerpool.env");
        }
        return null;
    }

    /// <summary>The URL to open: <paramref name="uri"/>'s location with the user name and password in it, for stream cameras that have them.</summary>
    public string UrlToOpen(CameraUri uri) =>
        User is null || uri.Kind is not (SourceKind.Rtsp or SourceKind.Http) ? uri.Location : UrlUserInfo.With(uri.Location, User, _password);

    /// <summary><paramref name="text"/> with the password masked, as written and percent-encoded, and any other URL password too.</summary>
    public string Redact(string text)
    {
        if (!string.IsNullOrEmpty(_password))
        {
            text = text.Replace(Uri.EscapeDataString(_password), UrlUserInfo.Mask, StringComparison.Ordinal)
                .Replace(_password, UrlUserInfo.Mask, StringComparison.Ordinal);
        }
        return UrlUserInfo.Redact(text);
    }
}
