using System.Text;
using MQTTnet;
using WorkerPool.Contracts;
using WorkerPool.Fleet.Broker;
using WorkerPool.Fleet.Ingest;
using WorkerPool.Fleet.Simulate;

namespace WorkerPool.Tests.Fleet;

public class FleetParsingTests
{
    [Theory]
    [InlineData("workerpool/d1/counts/cam", true, "d1", DeviceTopic.Counts, "cam")]
    [InlineData("workerpool/d1/status", true, "d1", DeviceTopic.Status, null)]
    [InlineData("workerpool/d1/heartbeat", true, "d1", DeviceTopic.Heartbeat, null)]
    [InlineData("workerpool/d1/config/reported", true, "d1", DeviceTopic.ConfigReported, null)]
    [InlineData("workerpool/d1/config/desired", false, "", DeviceTopic.Counts, null)]
    [InlineData("other/d1/status", false, "", DeviceTopic.Counts, null)]
    [InlineData("workerpool//status", false, "", DeviceTopic.Counts, null)]
    [InlineData("workerpool/d1/counts/cam/extra", false, "", DeviceTopic.Counts, null)]
    public void Topics_are_read_back_into_device_kind_and_camera(string topic, bool ok, string device, DeviceTopic kind, string? camera)
    {
        Assert.Equal(ok, Topics.TryParse("workerpool", topic, out string d, out var k, out string? c));
        if (!ok) return;
        Assert.Equal((device, kind, camera), (d, k, c));
    }

    private static MqttApplicationMessage Message(string topic, string json) =>
        new MqttApplicationMessageBuilder().WithTopic(topic).WithPayload(Encoding.UTF8.GetBytes(json)).Build();

    [Theory]
    [InlineData("""{"messageId":"not-a-uuid","seq":1,"deviceId":"d1","cameraId":"cam","windowStart":"2026-01-01T00:00:00Z","windowEnd":"2026-01-01T00:01:00Z"}""", "UUID")]
    [InlineData("""{"messageId":"5b1f0a52-6d1c-4c44-9e1e-3f0b8d1f9a10","seq":1,"deviceId":"d2","cameraId":"cam","windowStart":"2026-01-01T00:00:00Z","windowEnd":"2026-01-01T00:01:00Z"}""", "on the topic of d1/cam")]
    [InlineData("""{"messageId":"5b1f0a52-6d1c-4c44-9e1e-3f0b8d1f9a10","seq":0,"deviceId":"d1","cameraId":"cam","windowStart":"2026-01-01T00:00:00Z","windowEnd":"2026-01-01T00:01:00Z"}""", "below 1")]
    [InlineData("""{"messageId":"5b1f0a52-6d1c-4c44-9e1e-3f0b8d1f9a10","seq":1,"deviceId":"d1","cameraId":"cam","windowStart":"2026-01-01T00:01:00Z","windowEnd":"2026-01-01T00:01:00Z"}""", "not after")]
    [InlineData("""{"seq":""", "bad JSON")]
    [InlineData("", "empty")]
    public void A_count_record_that_cannot_be_stored_is_refused_with_the_reason(string json, string reason)
    {
        Assert.Null(InboundParser.Parse("workerpool", Message("workerpool/d1/counts/cam", json), DateTime.UtcNow, out string? error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_good_count_record_is_read_with_its_lines_and_zones()
    {
        var inbound = InboundParser.Parse("workerpool", Message("workerpool/d1/counts/cam",
            """{"messageId":"5b1f0a52-6d1c-4c44-9e1e-3f0b8d1f9a10","seq":7,"deviceId":"d1","cameraId":"cam","windowStart":"2026-01-01T00:00:00Z","windowEnd":"2026-01-01T00:01:00Z","lines":{"door":{"in":3,"out":1}},"zones":{"hall":{"mean":1.5,"min":1,"max":2}}}"""),
            DateTime.UtcNow, out string? error);
        var count = Assert.IsType<InboundCount>(inbound);
        Assert.Null(error);
        Assert.Equal((7L, 3L, 2), (count.Record.Seq, count.Record.Lines["door"].In, count.Record.Zones["hall"].Max));
    }

    [Theory]
    [InlineData("127.0.0.1:1884", "127.0.0.1", 1884)]
    [InlineData("broker.example.com", "broker.example.com", 1883)]
    public void Broker_addresses_are_host_and_port(string text, string host, int port) => Assert.Equal((host, port), BrokerEndpoint.Parse(text));

    [Theory]
    [InlineData("mqtt://broker:1883")]
    [InlineData("broker:0")]
    [InlineData("broker:http")]
    public void Broker_urls_and_bad_ports_are_refused(string text) => Assert.Throws<FormatException>(() => BrokerEndpoint.Parse(text));

    [Fact]
    public void The_same_seed_plans_the_same_records_and_outages_and_another_seed_does_not()
    {
        static SimulationOptions Options(int seed) => new(10, 2, 60, 6, 0.3, 2, seed, "workerpool", "sim", true, DateTimeOffset.UnixEpoch);
        SimulationPlan a = new(Options(5)), b = new(Options(5)), c = new(Options(6));
        Assert.Equal(ContractJsonContext.Serialize(a.Record(3, 1, 4)), ContractJsonContext.Serialize(b.Record(3, 1, 4)));
        Assert.NotEqual(a.Record(3, 1, 4).MessageId, c.Record(3, 1, 4).MessageId);
        Assert.Equal(Enumerable.Range(0, 10).Select(a.Outage), Enumerable.Range(0, 10).Select(b.Outage));
        Assert.Equal(3, Enumerable.Range(0, 10).Count(d => a.Outage(d) is not null));
        Assert.Equal(5, a.Record(0, 0, 4).Seq);
    }
}
