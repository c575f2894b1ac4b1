using Microsoft.Extensions.Logging;
using WorkerPool.Diagnostics;

namespace WorkerPool.Tests.Diagnostics;

public class LogLevelOverridesTests
{
    [Fact]
    public void Parse_CategoryLevelPairs_GivesEachLevelIgnoringCaseAndSpaces()
    {
        var (levels, errors) = LogLevelOverrides.Parse(" WorkerPool.Counting=debug , WorkerPool.Mqtt = Warning");
        Assert.Equal([("WorkerPool.Counting", LogLevel.Debug), ("WorkerPool.Mqtt", LogLevel.Warning)], levels);
        Assert.Empty(errors);
    }

    [Theory]
    [InlineData("WorkerPool.Counting")]
    [InlineData("=Debug")]
    [InlineData("WorkerPool.Counting=Loud")]
    [InlineData("WorkerPool.Counting=42")]
    public void Parse_BadEntry_IsLeftOutWithAMessageThatShowsTheRightForm(string entry)
    {
        var (levels, errors) = LogLevelOverrides.Parse($"{entry},WorkerPool.Outbox=Error");
        Assert.Equal([("WorkerPool.Outbox", LogLevel.Error)], levels);
        Assert.Contains("CATEGORY=LEVEL, e.g. WorkerPool.Counting=Debug", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_Unset_GivesNothing() => Assert.Empty(LogLevelOverrides.Parse(null).Levels);
}
