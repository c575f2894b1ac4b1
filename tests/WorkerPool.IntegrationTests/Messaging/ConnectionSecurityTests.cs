using WorkerPool.Config;
using WorkerPool.IntegrationTests.Infrastructure;
using WorkerPool.Messaging;

namespace WorkerPool.IntegrationTests.Messaging;

/// <summary>Credentials and TLS against a real Mosquitto: clear errors, bounded retry rate, no crash.</summary>
public sealed class ConnectionSecurityTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly ListLogger _log = new();

    private async Task<MqttConnection> RunForAsync(MqttOptions options, TimeSpan duration)
    {
        var connection = new MqttConnection(options, "dev-sec", "test", TimeProvider.System, _log);
        using var stop = new CancellationTokenSource(duration);
        await connection.RunAsync(stop.Token); // returns when cancelled, never throws
        return connection;
    }

    [Fact]
    public async Task WrongPassword_IsReportedAsRefusedAndRetriedSlowly()
    {
        using var broker = new MosquittoBroker(user: "device", password: "right").Start();
        File.WriteAllText(_dir.File("password"), "wrong\n");
        var options = new MqttOptions { Port = broker.Port, Username = "device", PasswordFile = _dir.File("password"), AuthFailureBackoffSeconds = 3 };

        await using var connection = await RunForAsync(options, TimeSpan.FromSeconds(5));

        Assert.Equal(ConnectionState.Refused, connection.State);
        Assert.InRange(_log.Count(5001), 1, 2); // one attempt, then a 3 s wait: not a hot loop
        var line = _log.Lines.First(l => l.EventId == 5001).Message;
        Assert.Contains("NotAuthorized", line, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong", line, StringComparison.Ordinal); // the password is never logged
    }

    [Fact]
    public async Task RightPasswordFromEnvironment_Connects()
    {
        using var broker = new MosquittoBroker(user: "device", password: "s3cret").Start();
        Environment.SetEnvironmentVariable("WORKERPOOL_TEST_MQTT_PASSWORD", "s3cret");
        var options = new MqttOptions { Port = broker.Port, Username = "device", PasswordEnv = "WORKERPOOL_TEST_MQTT_PASSWORD" };
        await using var connection = await RunForAsync(options, TimeSpan.FromSeconds(2));
        Assert.Contains(_log.Lines, l => l.EventId == 5000);
        Assert.Equal(0, _log.Count(5001));
    }

    [Fact]
    public async Task TlsWithTheCaAndTheRightName_Connects()
    {
        using var tls = new TlsFiles("broker.test");
        using var broker = new MosquittoBroker(tls: tls).Start();
        var options = new MqttOptions { Port = broker.Port, Tls = new MqttTlsOptions { Enabled = true, CaFile = tls.Ca, ServerName = "broker.test" } };
        await using var connection = await RunForAsync(options, TimeSpan.FromSeconds(3));
        Assert.Contains(_log.Lines, l => l.EventId == 5000);
    }

    [Fact]
    public async Task TlsNameMismatch_IsRejectedClearlyAndRetriedWithBackoff()
    {
        using var tls = new TlsFiles("broker.test");
        using var broker = new MosquittoBroker(tls: tls).Start();
        var options = new MqttOptions
        {
            Port = broker.Port, MaxBackoffSeconds = 4,
            Tls = new MqttTlsOptions { Enabled = true, CaFile = tls.Ca, ServerName = "other.test" },
        };

        await using var connection = await RunForAsync(options, TimeSpan.FromSeconds(5));

        Assert.Equal(0, _log.Count(5000));
        Assert.InRange(_log.Count(5001), 1, 5);
        Assert.Equal(ConnectionState.Reconnecting, connection.State);
        Assert.Contains("is not valid for the name 'other.test'", connection.LastError, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        Environment.SetEnvironmentVariable("WORKERPOOL_TEST_MQTT_PASSWORD", null);
        _dir.Dispose();
    }
}
