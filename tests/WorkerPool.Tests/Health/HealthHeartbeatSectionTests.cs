using Microsoft.Extensions.Time.Testing;
using WorkerPool.Config;
using WorkerPool.Diagnostics;
using WorkerPool.Health;

namespace WorkerPool.Tests.Health;

public sealed class HealthHeartbeatSectionTests
{
    [Fact]
    public void WriteTo_ReportsTheMonitorsLastVerdictWithItsReason()
    {
        var monitor = new HealthMonitor(() => new HealthOptions(), new FakeTimeProvider());
        var section = new HealthHeartbeatSection(monitor);
        var starting = new HeartbeatDraft(DateTimeOffset.UnixEpoch);
        section.WriteTo(starting);

        var verdict = monitor.Evaluate(PipelineSnapshot.None);
        var judged = new HeartbeatDraft(DateTimeOffset.UnixEpoch);
        section.WriteTo(judged);

        Assert.Equal(("starting", "starting"), (starting.Health!.State, starting.Health.Reason));
        Assert.Equal((verdict.State.ToString().ToLowerInvariant(), verdict.Reason), (judged.Health!.State, judged.Health.Reason));
        Assert.Equal("unhealthy", judged.Health.State);
    }
}
