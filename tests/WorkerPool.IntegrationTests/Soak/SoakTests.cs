using Xunit.Abstractions;

namespace WorkerPool.IntegrationTests.Soak;

/// <summary>
/// The 3-minute version of the soak (bench/ runs the 30-minute one): the live service with two cameras while the
/// broker restarts, the RTSP server dies, cameras restart, the disk fills, the config changes and the service is
/// killed. Nothing stored may be lost, no camera may sit connected and blind, and health must say what happens.
/// </summary>
[Collection(Deploy.DeployCollection.Name)] // alone: it needs the machine's two cores to itself
public sealed class SoakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ThreeMinutesOfFaults_EveryStoredRecordArrivesGapless_NoCameraStaysBlind_HealthSaysWhy()
    {
        await using var soak = new SoakRun(SoakPlan.Ci, say: output.WriteLine);
        var report = await soak.RunAsync();
        // A camera reconnects within its stall timeout (10 s) plus a backoff step; heartbeats come every 2 s.
        const double blindLimit = 15;
        output.WriteLine(report.Markdown(blindLimit, resources: false));
        Assert.All(report.Checks(blindLimit, resources: false), c => Assert.True(c.Passed, $"{c.What}: {c.Detail}"));
        Assert.Contains(report.Faults, f => f.Fault == Fault.Kill9);
        Assert.Equal(report.Plan.Schedule().Count, report.Faults.Count);
    }
}
