using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace WorkerPool.Fleet.Serve;

/// <summary>
/// Access to the dashboard, its API and /metrics with one shared token (from a file the operator keeps, e.g.
/// <c>openssl rand -hex 24</c>): <c>Authorization: Bearer TOKEN</c> for scripts and Prometheus; in a browser, the
/// login form (or <c>/?token=TOKEN</c> once) sets an HttpOnly session cookie holding a hash of the token, never the
/// token. Comparisons are constant-time.
/// </summary>
internal sealed class TokenAuth
{
    public const string CookieName = "workerpool_fleet_session";
    private readonly byte[] _token, _session;
    private readonly bool _secureCookie;

    public TokenAuth(string token, bool secureCookie)
    {
        _token = Encoding.UTF8.GetBytes(token);
        _session = SHA256.HashData(Encoding.UTF8.GetBytes("workerpool-fleet-session\n" + token));
        _secureCookie = secureCookie;
    }

    /// <summary>Reads the token file: its first line, at least 16 characters.</summary>
    public static string ReadToken(FileInfo file)
    {
        string token = File.ReadLines(file.FullName).FirstOrDefault()?.Trim() ?? "";
        if (token.Length < 16) throw new ArgumentException($"{file.FullName}: the token must be at least 16 characters on the first line");
        return token;
    }

    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        if (request.Path == "/login" && HttpMethods.IsPost(request.Method) && request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(context.RequestAborted).ConfigureAwait(false);
            if (Matches(form["token"].ToString())) { SignIn(context, "/"); return; }
            await Refuse(context).ConfigureAwait(false);
            return;
        }
        if (request.Query.TryGetValue("token", out var query))
        {
            if (Matches(query.ToString())) { SignIn(context, request.Path.HasValue ? request.Path.Value! : "/"); return; }
            await Refuse(context).ConfigureAwait(false);
            return;
        }
        string authorization = request.Headers.Authorization.ToString();
        bool ok = authorization.StartsWith("Bearer ", StringComparison.Ordinal) && Matches(authorization["Bearer ".Length..].Trim())
            || request.Cookies.TryGetValue(CookieName, out string? cookie) && SessionMatches(cookie);
        if (ok) await next(context).ConfigureAwait(false);
        else await Refuse(context).ConfigureAwait(false);
    }

    private bool Matches(string candidate) => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(candidate), _token);

    private bool SessionMatches(string cookie)
    {
        try { return CryptographicOperations.FixedTimeEquals(Convert.FromHexString(cookie), _session); }
        catch (FormatException) { return false; }
    }

    private void SignIn(HttpContext context, string location)
    {
        context.Response.Cookies.Append(CookieName, Convert.ToHexStringLower(_session),
            new CookieOptions { HttpOnly = true, Secure = _secureCookie, SameSite = SameSiteMode.Strict, Path = "/" });
        context.Response.Redirect(location.StartsWith('/') && !location.StartsWith("//", StringComparison.Ordinal) ? location : "/");
    }

    private static Task Refuse(HttpContext context)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        if (context.Request.Path.StartsWithSegments("/api") || context.Request.Path.StartsWithSegments("/metrics"))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return context.Response.WriteAsync("{\"error\":\"unauthorized\"}");
        }
        context.Response.ContentType = "text/html; charset=utf-8";
        return context.Response.WriteAsync("""
            <!doctype html><html lang="en"><head><meta charset="utf-8"><title>WorkerPool fleet: sign in</title></head>
            <body style="font-family: system-ui, sans-serif; margin: 3rem"><h1>WorkerPool fleet</h1>
            <form method="post" action="/login"><label>Token <input type="password" name="token" autofocus></label>
            <button type="submit">Sign in</button></form></body></html>
            """);
    }
}
