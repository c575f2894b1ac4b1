using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.RegularExpressions;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Fleet;

/// <summary>A fleet with data in it: three devices online (lingering), one stopped, and <c>serve</c> in front of it.</summary>
public sealed class DashboardFleet : IAsyncLifetime
{
    public const string Token = "test-token-0123456789abcdef";
    public FleetFixture Fleet { get; private set; } = null!;
    public int Port { get; } = RtspServer.FreePort();
    public HttpListener Hook { get; } = new();
    public int HookPort { get; } = RtspServer.FreePort();
    public TempDir Dir { get; } = new();
    public bool Ready { get; private set; }
    private HostProcess? _serve, _lingering;

    public string Url => $"http://127.0.0.1:{Port}";

    public async Task InitializeAsync()
    {
        if (!PostgresServer.Available) return;
        Fleet = await FleetFixture.StartAsync();
        await Fleet.StartIngestAsync("ingest-dash");
        _lingering = HostProcess.StartFile(FleetFixture.Script, null, "simulate", "--broker", Fleet.BrokerAddress, "--devices", "3", "--cameras", "2",
            "--window-seconds", "60", "--windows", "5", "--fast", "--linger-seconds", "600", "--device-prefix", "shop");
        await Fleet.SimulateAsync("--devices", "1", "--cameras", "2", "--window-seconds", "60", "--windows", "5", "--fast", "--device-prefix", "gone");
        await Fleet.WaitForAsync("SELECT count(*) FROM count_windows", 40, TimeSpan.FromSeconds(120));
        await Fleet.WaitForAsync("SELECT count(*) FROM devices WHERE status = 'online'", 3, TimeSpan.FromSeconds(60));

        // A rollout that halted at its canary, as workerpool-fleet rollout records one (RolloutTests run the real thing).
        await Fleet.Database.ScalarAsync("""
            INSERT INTO rollouts (rollout_id, version, rid, selector, canary_percent, max_failures, state, reason, started_at, updated_at)
            VALUES ('r-dash', '1.1.0+bbb', 'linux-x64', 'tag:shop', 34, 1, 'halted', '1 device(s) failed, --max-failures 1', now(), now());
            INSERT INTO rollout_devices (rollout_id, device_id, wave, state, reason, updated_at)
            VALUES ('r-dash', 'shop-00000', 0, 'rolled-back', 'did not report healthy', now()), ('r-dash', 'shop-00001', 1, 'pending', null, now()),
                   ('r-dash', 'shop-00002', 1, 'pending', null, now())
            """);
        File.WriteAllText(Dir.File("token"), Token + "\n");
        Hook.Prefixes.Add($"http://127.0.0.1:{HookPort}/hook/");
        Hook.Start();
        _serve = HostProcess.StartFile(FleetFixture.Script, null, "serve", "--database", Fleet.Database.ConnectionString(), "--listen", $"127.0.0.1:{Port}",
            "--token-file", Dir.File("token"), "--webhook", $"http://127.0.0.1:{HookPort}/hook/");
        await _serve.WaitForStderrAsync("Dashboard on", TimeSpan.FromMinutes(3));
        Ready = true;
    }

    public async Task DisposeAsync()
    {
        Hook.Close();
        if (_serve is not null) await _serve.DisposeAsync();
        if (_lingering is not null) await _lingering.DisposeAsync();
        if (Fleet is not null) await Fleet.DisposeAsync();
        Dir.Dispose();
    }
}

/// <summary><c>serve</c>: the page in Chromium, the API behind its token, /metrics scraped by Prometheus, the Grafana panels, the alert webhook.</summary>
[Collection("fleet")]
public sealed class DashboardTests(DashboardFleet fleet) : IClassFixture<DashboardFleet>
{
    private static readonly string[] ChromiumFlags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--window-size=1280,1400", "--virtual-time-budget=10000"];

    private void SkipUnlessReady() => Skip.IfNot(fleet.Ready, "PostgreSQL server not installed");

    private static HttpClient Client(string? bearer = null)
    {
        var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { Timeout = TimeSpan.FromSeconds(30) };
        if (bearer is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client;
    }

    [SkippableFact]
    public async Task The_page_in_Chromium_shows_the_device_count_flags_the_offline_device_and_draws_points()
    {
        SkipUnlessReady();
        Skip.IfNot(File.Exists("/usr/bin/chromium"), "Debian's chromium not installed");
        string results = Repo.Path("TestResults");
        Directory.CreateDirectory(results);
        string screenshot = Path.Combine(results, "fleet-dashboard.png");
        File.Delete(screenshot);
        // Signing in through the URL once sets the session cookie; the page then reads the API with it.
        string url = $"{fleet.Url}/?token={DashboardFleet.Token}";
        string dom = await Chromium(fleet.Dir.File("profile-dom"), ["--dump-dom", url]);
        await Chromium(fleet.Dir.File("profile-shot"), [$"--screenshot={screenshot}", url]);

        Assert.Contains("data-loaded=\"true\"", dom, StringComparison.Ordinal);
        Assert.Matches("id=\"device-count\">4 devices<", dom);
        Assert.Matches("id=\"offline-count\">1 offline<", dom);
        Assert.Matches("<tr data-device=\"gone-00000\" data-status=\"offline\" class=\"offline\">", dom);
        Assert.Equal(3, Regex.Count(dom, "data-status=\"online\""));
        Assert.Matches("<li data-kind=\"offline\" data-device=\"gone-00000\">", dom);
        Assert.Matches("<tr data-rollout=\"r-dash\" data-state=\"halted\"[^>]*>.*1 rolled-back, 2 pending", dom);
        var points = Regex.Matches(dom, "data-points=\"(\\d+)\"").Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(2, points.Count);
        Assert.All(points, p => Assert.True(p > 0, "a chart without points"));
        Assert.True(new FileInfo(screenshot).Length > 10_000, "no screenshot");
    }

    private static async Task<string> Chromium(string profile, string[] args)
    {
        var info = new ProcessStartInfo("/usr/bin/chromium") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in ChromiumFlags.Append($"--user-data-dir={profile}").Concat(args)) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        _ = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        return await stdout;
    }

    [SkippableFact]
    public async Task Nothing_is_served_without_the_token_and_the_api_answers_with_it()
    {
        SkipUnlessReady();
        using var anonymous = Client();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"{fleet.Url}/")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"{fleet.Url}/api/devices")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"{fleet.Url}/metrics")).StatusCode);
        using var wrong = Client("not-the-token-at-all");
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync($"{fleet.Url}/api/devices")).StatusCode);

        using var bearer = Client(DashboardFleet.Token);
        var devices = JsonDocument.Parse(await bearer.GetStringAsync($"{fleet.Url}/api/devices")).RootElement;
        Assert.Equal(4, devices.GetArrayLength());
        var completeness = JsonDocument.Parse(await bearer.GetStringAsync($"{fleet.Url}/api/completeness")).RootElement;
        Assert.All(completeness.EnumerateArray(), c => Assert.Equal(0, c.GetProperty("unexplainedGaps").GetInt32()));
        Assert.Equal(HttpStatusCode.BadRequest, (await bearer.GetAsync($"{fleet.Url}/api/counts?bucket=week")).StatusCode);

        var signIn = await anonymous.GetAsync($"{fleet.Url}/?token={DashboardFleet.Token}");
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        string cookie = signIn.Headers.GetValues("Set-Cookie").Single();
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(DashboardFleet.Token, cookie, StringComparison.Ordinal);
        using var page = new HttpRequestMessage(HttpMethod.Get, $"{fleet.Url}/");
        page.Headers.Add("Cookie", cookie.Split(';')[0]);
        var response = await anonymous.SendAsync(page);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<title>WorkerPool fleet</title>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task Prometheus_scrapes_the_fleet_metrics_with_the_token_and_loads_the_shipped_alert_rules()
    {
        SkipUnlessReady();
        Skip.IfNot(File.Exists("/usr/bin/prometheus"), "Debian's prometheus not installed");
        int port = RtspServer.FreePort();
        File.WriteAllText(fleet.Dir.File("prometheus.yml"), $"""
            global: {"{"} scrape_interval: 1s, evaluation_interval: 1s {"}"}
            rule_files: ["{Repo.Path("deploy-scripts", "fleet", "prometheus", "workerpool-fleet-alerts.yml")}"]
            scrape_configs:
              - job_name: fleet
                authorization: {"{"} type: Bearer, credentials_file: "{fleet.Dir.File("token")}" {"}"}
                static_configs: [{"{"} targets: ["127.0.0.1:{fleet.Port}"] {"}"}]
            """);
        var info = new ProcessStartInfo("/usr/bin/prometheus") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { $"--config.file={fleet.Dir.File("prometheus.yml")}", $"--storage.tsdb.path={fleet.Dir.File("tsdb")}", $"--web.listen-address=127.0.0.1:{port}" })
            info.ArgumentList.Add(a);
        using var prometheus = Process.Start(info)!;
        prometheus.BeginErrorReadLine();
        prometheus.BeginOutputReadLine();
        try
        {
            using var http = Client();
            async Task<JsonElement?> Query(string q)
            {
                try { return JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/api/v1/query?query={Uri.EscapeDataString(q)}")).RootElement.GetProperty("data").GetProperty("result"); }
                catch (HttpRequestException) { return null; }
            }
            string? devices = null, online = null, offline = null;
            for (var deadline = DateTime.UtcNow.AddSeconds(90); DateTime.UtcNow < deadline && (devices is null || offline is null); await Task.Delay(500))
            {
                devices = Value(await Query("workerpool_fleet_devices")) ?? devices;
                online = Value(await Query("workerpool_fleet_devices_online")) ?? online;
                offline = Value(await Query("workerpool_fleet_device_online{device=\"gone-00000\"}")) ?? offline;
            }
            Assert.Equal("4", devices);
            Assert.Equal("3", online);
            Assert.Equal("0", offline);
            Assert.Equal("1", Value(await Query("up{job=\"fleet\"}")));
            var rules = JsonDocument.Parse(await http.GetStringAsync($"http://127.0.0.1:{port}/api/v1/rules")).RootElement;
            var names = rules.GetProperty("data").GetProperty("groups").EnumerateArray().SelectMany(g => g.GetProperty("rules").EnumerateArray())
                .Select(r => r.GetProperty("name").GetString()).ToList();
            Assert.Contains("WorkerPoolDeviceOffline", names);
            Assert.Equal(6, names.Count);
        }
        finally
        {
            prometheus.Kill();
            await prometheus.WaitForExitAsync();
        }
    }

    private static string? Value(JsonElement? result) =>
        result is { } r && r.GetArrayLength() > 0 ? r[0].GetProperty("value")[1].GetString() : null;

    [SkippableFact]
    public async Task Every_grafana_panel_query_runs_against_the_real_database_and_returns_rows()
    {
        SkipUnlessReady();
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Repo.Path("deploy-scripts", "fleet", "grafana", "dashboards", "workerpool-fleet.json")));
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().ToList();
        Assert.NotEmpty(panels);
        foreach (var panel in panels)
            foreach (var target in panel.GetProperty("targets").EnumerateArray())
            {
                // Grafana's one macro here, as Grafana expands it for the dashboard's time range.
                string sql = Regex.Replace(target.GetProperty("rawSql").GetString()!, @"\$__timeFilter\((\w+)\)", "$1 BETWEEN now() - interval '7 days' AND now() + interval '1 day'");
                await using var connection = new Npgsql.NpgsqlConnection(fleet.Fleet.Database.ConnectionString());
                await connection.OpenAsync();
                await using var command = new Npgsql.NpgsqlCommand(sql, connection);
                await using var rows = await command.ExecuteReaderAsync();
                var columns = Enumerable.Range(0, rows.FieldCount).Select(rows.GetName).ToList();
                Assert.True(await rows.ReadAsync(), $"panel '{panel.GetProperty("title").GetString()}' returned no rows");
                if (target.GetProperty("format").GetString() == "time_series")
                    Assert.Equal(["time", "metric", "value"], columns);
                if (panel.GetProperty("title").GetString() == "Devices online")
                    Assert.Equal((3L, 4L), (rows.GetInt64(0), rows.GetInt64(1)));
            }
    }

    [SkippableFact]
    public async Task Over_tls_the_dashboard_answers_https_with_its_certificate_and_sets_a_secure_cookie()
    {
        SkipUnlessReady();
        using var tls = new TlsFiles("localhost");
        int port = RtspServer.FreePort();
        await using var serve = HostProcess.StartFile(FleetFixture.Script, null, "serve", "--database", fleet.Fleet.Database.ConnectionString(),
            "--listen", $"127.0.0.1:{port}", "--token-file", fleet.Dir.File("token"), "--cert", tls.ServerCert, "--cert-key", tls.ServerKey);
        await serve.WaitForStderrAsync("Dashboard on https://", TimeSpan.FromMinutes(3));
        using var ca = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(tls.Ca);
        using var handler = new HttpClientHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            ServerCertificateCustomValidationCallback = (_, certificate, chain, _) =>
            {
                chain!.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                return chain.Build(certificate!) && certificate!.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.DnsName, false) == "localhost";
            },
        };
        using var https = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        var signIn = await https.GetAsync($"https://localhost:{port}/?token={DashboardFleet.Token}");
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        Assert.Contains("secure", signIn.Headers.GetValues("Set-Cookie").Single(), StringComparison.OrdinalIgnoreCase);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://localhost:{port}/api/devices");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", DashboardFleet.Token);
        Assert.Equal(HttpStatusCode.OK, (await https.SendAsync(request)).StatusCode);
    }

    [SkippableFact]
    public async Task The_webhook_gets_a_firing_notice_for_the_offline_device()
    {
        SkipUnlessReady();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        for (int i = 0; i < 50; i++)
        {
            var context = await fleet.Hook.GetContextAsync().WaitAsync(timeout.Token);
            using var reader = new StreamReader(context.Request.InputStream);
            var notice = JsonDocument.Parse(await reader.ReadToEndAsync()).RootElement;
            context.Response.StatusCode = 204;
            context.Response.Close();
            var alert = notice.GetProperty("alert");
            if (alert.GetProperty("kind").GetString() == "offline" && alert.GetProperty("device").GetString() == "gone-00000")
            {
                Assert.Equal("firing", notice.GetProperty("state").GetString());
                return;
            }
        }
        Assert.Fail("no offline notice for gone-00000");
    }
}
