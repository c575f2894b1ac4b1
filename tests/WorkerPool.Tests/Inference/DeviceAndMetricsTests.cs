using Microsoft.Extensions.Time.Testing;
using WorkerPool.Inference;

namespace WorkerPool.Tests.Inference;

public class DeviceAndMetricsTests
{
    [Theory]
    [InlineData("cpu", DeviceKind.Cpu, 0)]
    [InlineData("cuda:0", DeviceKind.Cuda, 0)]
    [InlineData("tensorrt:1", DeviceKind.TensorRt, 1)]
    public void ExecutionDevice_KnownNames_Parse(string text, DeviceKind kind, int index)
    {
        Assert.True(ExecutionDevice.TryParse(text, out var device));
        Assert.Equal(new ExecutionDevice(kind, index), device);
        Assert.Equal(text, device.ToString());
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda")]
    [InlineData("cuda:-1")]
    [InlineData("CPU")]
    [InlineData("")]
    public void ExecutionDevice_UnknownNames_AreRejected(string text) => Assert.False(ExecutionDevice.TryParse(text, out _));

    [Fact]
    public void WorkerMetrics_Snapshot_GivesPercentilesAndBusyFraction()
    {
        var time = new FakeTimeProvider();
        var metrics = new WorkerMetrics(time.GetTimestamp());
        for (int i = 1; i <= 100; i++) metrics.Record(TimeSpan.FromMilliseconds(i), ok: true);
        metrics.Record(TimeSpan.FromMilliseconds(50), ok: false);
        time.Advance(TimeSpan.FromSeconds(10));

        var s = metrics.Snapshot(time.GetTimestamp(), time);

        Assert.Equal((100L, 1L), (s.Processed, s.Failed));
        Assert.Equal(50, s.LatencyP50Ms, 3);
        Assert.Equal(99, s.LatencyP99Ms, 3);
        Assert.Equal((5050 + 50) / 10000.0, s.BusyFraction, 3);
    }
}
