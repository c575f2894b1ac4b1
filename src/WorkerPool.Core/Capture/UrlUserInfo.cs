using System.Text.RegularExpressions;

namespace WorkerPool.Capture;

/// <summary>
/// The user-info part of a URL (<c>rtsp://user:password@host/…</c>): found, inserted for the one process that opens
/// the stream, and masked everywhere else (messages, logs, echoed configs).
/// </summary>
public static partial class UrlUserInfo
{
    /// <summary>What replaces a password wherever one could be shown.</summary>
    public const string Mask = "***";

    // scheme://user:password@ : the password part, in a URL or anywhere in a line of text.
    [GeneratedRegex(@"(?<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:]*):(?<password>[^\s/?#@]*)@")]
    private static partial Regex PasswordInText();

    /// <summary>
    /// Splits off the user info of <paramref name="url"/>; false when it has none (or is no <c>scheme://</c> URL).
    /// <paramref name="user"/> is as written (percent-encoded); <paramref name="hasPassword"/> says whether a <c>:</c> follows it.
    /// </summary>
    public static bool TryFind(string url, out string user, out bool hasPassword)
    {
        user = "";
        hasPassword = false;
        if (!TryAuthority(url, out int start, out int end)) return false;
        int at = url.LastIndexOf('@', end - 1, end - start);
        if (at < 0) return false;
        string info = url[start..at];
        int colon = info.IndexOf(':', StringComparison.Ordinal);
        user = colon < 0 ? info : info[..colon];
        hasPassword = colon >= 0;
        return true;
    }

    /// <summary>
    /// <paramref name="url"/> with <paramref name="user"/> and <paramref name="password"/> as its user info,
    /// percent-encoded (FFmpeg decodes them once, and splits user from password at the first <c>:</c>).
    /// Any user info the URL had is replaced.
    /// </summary>
    public static string With(string url, string user, string? password)
    {
        if (!TryAuthority(url, out int start, out int end)) throw new ArgumentException("not a scheme:// URL", nameof(url));
        int at = url.LastIndexOf('@', end - 1, end - start);
        int hostStart = at < 0 ? start : at + 1;
        string info = Uri.EscapeDataString(user) + (password is null ? "" : ":" + Uri.EscapeDataString(password));
        return string.Concat(url.AsSpan(0, start), info, "@", url.AsSpan(hostStart));
    }

    /// <summary>Every <c>scheme://user:password@</c> in <paramref name="text"/> with the password masked.</summary>
    public static string Redact(string text) => PasswordInText().Replace(text, m => m.Groups["head"].Value + ":" + Mask + "@");

    /// <summary>The authority of <c>scheme://authority/path</c>: from after <c>://</c> to the first <c>/</c>, <c>?</c> or <c>#</c>.</summary>
    private static bool TryAuthority(string url, out int start, out int end)
    {
        start = end = 0;
        int sep = url.IndexOf("://", StringComparison.Ordinal);
        if (sep <= 0) return false;
        start = sep + 3;
        end = url.IndexOfAny(['/', '?', '#'], start);
        if (end < 0) end = url.Length;
        return true;
    }
}
