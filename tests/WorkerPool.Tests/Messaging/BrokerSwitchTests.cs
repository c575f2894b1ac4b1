using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using WorkerPool.Config;
using WorkerPool.Messaging;

namespace WorkerPool.Tests.Messaging;

/// <summary>
/// The connection's side of a broker move, on loopback ports where nothing answers: the test connection says why
/// it failed, and a session that does not come up on the new settings goes back to the old ones.
/// </summary>
public sealed class BrokerSwitchTests : IAsyncDisposable
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(1));
    private readonly int _closedA = ClosedPort(), _closedB = ClosedPort();
    private readonly MqttConnection _connection;

    public BrokerSwitchTests() =>
        _connection = new MqttConnection(Options(_closedA), "dev-1", "1.0.0", TimeProvider.System, NullLogger.Instance);

    private static MqttOptions Options(int port) => new() { Host = "127.0.0.1", Port = port, TimeoutSeconds = 1, MaxBackoffSeconds = 1 };

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port; // closed again when disposed: a refused connection
    }

    /// <summary>The port the session's next CONNECT goes to.</summary>
    private int PortInEffect() => ((MQTTnet.MqttClientTcpOptions)_connection.BuildOptions().ChannelOptions).RemoteEndpoint switch
    {
        DnsEndPoint d => d.Port,
        IPEndPoint ip => ip.Port,
        var other => throw new InvalidOperationException("unexpected endpoint " + other),
    };

    [Fact]
    public async Task Probe_ToAClosedPort_SaysTheConnectionWasRefused()
    {
        string? why = await _connection.ProbeAsync(Options(_closedB), TimeSpan.FromSeconds(10), _stop.Token);
        Assert.NotNull(why);
        Assert.Contains("connection refused", why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_ToAListenerThatNeverAnswers_TimesOut()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start(); // accepts TCP (the backlog) and never speaks MQTT
        string? why = await _connection.ProbeAsync(Options(((IPEndPoint)silent.LocalEndpoint).Port), Short, _stop.Token);
        Assert.NotNull(why);
        Assert.StartsWith("timeout", why, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Switch_SessionDoesNotComeUpOnTheNewSettings_ReturnsWhyAndGoesBackToTheOldOnes()
    {
        var running = _connection.RunAsync(_stop.Token);
        Assert.Equal(_closedA, PortInEffect());

        string? why = await _connection.SwitchAsync(Options(_closedB), Short, _stop.Token);

        Assert.NotNull(why);
        Assert.Contains($"did not come up on 127.0.0.1:{_closedB}", why, StringComparison.Ordinal);
        Assert.Equal(_closedA, PortInEffect());
        await _stop.CancelAsync();
        await running;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _connection.DisposeAsync();
        _stop.Dispose();
    }
}
