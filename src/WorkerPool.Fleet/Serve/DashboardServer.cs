using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using WorkerPool.Fleet.Storage;

namespace WorkerPool.Fleet.Serve;

/// <summary>How <c>serve</c> runs.</summary>
/// <param name="Listen">Address and port to listen on.</param>
/// <param name="Token">The access token; null only with <c>--no-auth</c> on a loopback address.</param>
/// <param name="Certificate">PEM certificate and key for HTTPS, or null for plain HTTP.</param>
/// <param name="Webhook">Where alert notices are posted, or null.</param>
/// <param name="Thresholds">When devices are flagged.</param>
internal sealed record ServeOptions(IPEndPoint Listen, string? Token, (FileInfo Cert, FileInfo Key)? Certificate, Uri? Webhook, AlertThresholds Thresholds)
{
    /// <summary>A folder served under <c>/releases/</c> without the token, for devices to download release archives from; null for none.</summary>
    public DirectoryInfo? Releases { get; init; }
}

/// <summary>
/// The fleet dashboard: ASP.NET Core minimal API under <c>/api/</c>, the page at <c>/</c> (bundled at build time, no
/// CDN), Prometheus metrics at <c>/metrics</c>, all behind one token; optional TLS and alert webhook.
/// </summary>
internal static class DashboardServer
{
    private static readonly HashSet<string> Buckets = ["minute", "hour", "day"];

    public static WebApplication Build(ServeOptions options, FleetStore store)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(k => k.Listen(options.Listen, listen =>
        {
            if (options.Certificate is { } c) listen.UseHttps(X509Certificate2.CreateFromPemFile(c.Cert.FullName, c.Key.FullName));
        }));
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, DashboardJsonContext.Default));
        var app = builder.Build();

        var queries = new DashboardQueries(store);
        var registry = Metrics.NewCustomRegistry();
        _ = new FleetMetrics(registry, store, queries);
        if (options.Releases is { } releases)
        {
            // Before the token: devices do not hold the dashboard's token, and what they download is signed (they
            // install an archive only when its manifest verifies with the release key). Range requests are answered,
            // so an interrupted download resumes.
            app.UseStaticFiles(new StaticFileOptions
            {
                RequestPath = "/releases",
                FileProvider = new PhysicalFileProvider(releases.FullName),
                ServeUnknownFileTypes = true,
                DefaultContentType = "application/octet-stream",
            });
        }
        if (options.Token is { } token)
        {
            var auth = new TokenAuth(token, secureCookie: options.Certificate is not null);
            app.Use(auth.InvokeAsync);
        }
        var web = new PhysicalFileProvider(Path.Combine(AppContext.BaseDirectory, "wwwroot"));
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = web });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = web });

        Task<IReadOnlyList<Alert>> Alerts(CancellationToken t) => EvaluateAsync(queries, options.Thresholds, t);
        var api = app.MapGroup("/api");
        api.MapGet("/devices", (CancellationToken t) => queries.DevicesAsync(t));
        api.MapGet("/completeness", (CancellationToken t) => queries.CompletenessAsync(t));
        api.MapGet("/alerts", (CancellationToken t) => Alerts(t));
        api.MapGet("/rollouts", (CancellationToken t) => queries.RolloutsAsync(t));
        api.MapGet("/counts", (string? bucket, int? hours, CancellationToken t) => SeriesAsync(queries.CountsAsync, bucket, hours, t));
        api.MapGet("/occupancy", (string? bucket, int? hours, CancellationToken t) => SeriesAsync(queries.OccupancyAsync, bucket, hours, t));
        app.MapMetrics("/metrics", registry);

        if (options.Webhook is { } url)
        {
            var webhook = new AlertWebhook(url, Alerts, TimeSpan.FromSeconds(15), TimeProvider.System, app.Logger);
            var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
            Task running = Task.CompletedTask;
            lifetime.ApplicationStarted.Register(() => running = webhook.RunAsync(lifetime.ApplicationStopping));
            lifetime.ApplicationStopped.Register(() => running.ContinueWith(_ => webhook.Dispose(), TaskScheduler.Default));
        }
        return app;
    }

    private static async Task<IReadOnlyList<Alert>> EvaluateAsync(DashboardQueries queries, AlertThresholds thresholds, CancellationToken token) =>
        AlertRules.Evaluate(await queries.DevicesAsync(token).ConfigureAwait(false), await queries.UnexplainedGapsAsync(token).ConfigureAwait(false), thresholds);

    private static async Task<IResult> SeriesAsync(Func<string, TimeSpan, CancellationToken, Task<IReadOnlyList<Series>>> read, string? bucket, int? hours, CancellationToken token)
    {
        bucket ??= "hour";
        if (!Buckets.Contains(bucket)) return Results.BadRequest($"bucket must be minute, hour or day, not '{bucket}'");
        int span = hours ?? (bucket == "day" ? 24 * 30 : bucket == "hour" ? 48 : 6);
        if (span is < 1 or > 24 * 366) return Results.BadRequest("hours must be from 1 to 8784");
        return Results.Ok(await read(bucket, TimeSpan.FromHours(span), token).ConfigureAwait(false));
    }
}
