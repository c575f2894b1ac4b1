using WorkerPool.Fleet.Rollout;

namespace WorkerPool.Tests.Fleet;

public sealed class RolloutPlanTests
{
    [Theory]
    [InlineData(3, 33, 1)]
    [InlineData(3, 34, 2)]
    [InlineData(200, 10, 20)]
    [InlineData(200, 0, 1)]
    [InlineData(5, 100, 5)]
    public void TheCanary_IsThePercentageRoundedUp_AtLeastOneDevice(int devices, double percent, int canary)
    {
        var plan = RolloutPlan.Make(Enumerable.Range(1, devices).Select(i => $"d-{i:000}"), percent);

        Assert.Equal(canary, plan.Canary.Count);
        Assert.Equal(devices - canary, plan.Rest.Count);
    }

    [Fact]
    public void TheSameSelection_MakesTheSameCanary_InIdOrder()
    {
        var plan = RolloutPlan.Make(["c", "a", "b", "a"], 34);

        Assert.Equal(["a", "b"], plan.Canary);
        Assert.Equal(["c"], plan.Rest);
    }

    [Fact]
    public void Progress_HaltsAtMaxFailures_AndAFinalStateIsNotUndoneByALateOne()
    {
        var progress = new RolloutProgress(maxFailures: 2);
        progress.Set("a", "downloading", null);
        progress.Set("a", "healthy", null);
        Assert.False(progress.Set("a", "downloading", null)); // a retained message read again
        Assert.Equal("healthy", progress.StateOf("a"));

        progress.Set("b", "rolled-back", "did not report healthy");
        Assert.False(progress.MustHalt);
        progress.Set("c", "timed-out", "not healthy in time");
        Assert.True(progress.MustHalt);
        Assert.True(progress.Done(["a", "b", "c"]));
        Assert.False(progress.Done(["a", "d"]));
    }
}
