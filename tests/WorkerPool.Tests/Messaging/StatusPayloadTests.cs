using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Messaging;

namespace WorkerPool.Tests.Messaging;

/// <summary>The retained status as the device makes it: the last will at CONNECT, then online and offline.</summary>
public sealed class StatusPayloadTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);
    private readonly FakeTimeProvider _time = new(Start);
    private readonly MqttConnection _connection;

    public StatusPayloadTests()
    {
        _time.SetLocalTimeZone(TimeZoneInfo.CreateCustomTimeZone("America/New_York", TimeSpan.FromHours(-5), "New York", "EST"));
        _connection = new MqttConnection(new MqttOptions(), "dev-1", "1.2.3", _time, NullLogger.Instance);
    }

    [Fact]
    public void LastWill_NamesTheStartOfItsSessionAndTheTimeZone_ButNoTimeOfItsOwn()
    {
        _time.Advance(TimeSpan.FromSeconds(5));

        var options = _connection.BuildOptions();

        Assert.True(options.WillRetain);
        var will = JsonDocument.Parse(options.WillPayload).RootElement;
        Assert.Equal(("offline", "lost", "America/New_York"), (will.GetProperty("state").GetString(), will.GetProperty("reason").GetString(), will.GetProperty("timeZone").GetString()));
        Assert.Equal(Start.AddSeconds(5), will.GetProperty("connectedAt").GetDateTimeOffset());
        // Made at connect time and published whenever the device vanishes: a time in it would be a lie.
        Assert.False(will.TryGetProperty("time", out _));
    }

    [Fact]
    public void OnlineAndOfflineStatus_CarryTheirOwnTime_TheSessionsConnectTimeAndTheTimeZone()
    {
        _time.Advance(TimeSpan.FromSeconds(5));
        _ = _connection.BuildOptions(); // the CONNECT
        _time.Advance(TimeSpan.FromSeconds(2));

        var online = _connection.StatusOf("online", null);
        _time.Advance(TimeSpan.FromMinutes(10));
        var offline = _connection.StatusOf("offline", "shutdown");

        Assert.Equal((Start.AddSeconds(7), Start.AddSeconds(5), "America/New_York"), (online.Time, online.ConnectedAt, online.TimeZone));
        Assert.Equal((Start.AddSeconds(607), Start.AddSeconds(5), "America/New_York"), (offline.Time, offline.ConnectedAt, offline.TimeZone));
        Assert.Equal(Start, online.BootTime);
        Assert.Null(offline.BootTime);
        string json = JsonSerializer.Serialize(online, ContractJsonContext.Default.StatusPayload);
        Assert.Contains("\"timeZone\":\"America/New_York\",\"connectedAt\":\"2026-11-22T12:00:05+00:00\"", json, StringComparison.Ordinal);
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
