using WorkerPool.Evaluation;

namespace WorkerPool.Tests.Evaluation;

public class CrossingMatcherTests
{
    private static Crossing In(long frame, int track = 1) => new(frame, "door", 1, track);

    private static Crossing Out(long frame, int track = 1) => new(frame, "door", -1, track);

    private static LineAccuracy Match(Crossing[] device, Crossing[] reference, long tolerance = 25) =>
        CrossingMatcher.Match(["door"], device, reference, tolerance).Single();

    [Fact]
    public void Match_CrossingsWithinTolerance_AreMatchedAtTheBoundaryToo()
    {
        var line = Match([In(10), Out(60)], [In(35), Out(60)]);
        Assert.Empty(line.Missed);
        Assert.Empty(line.Extra);
        Assert.Equal((1, 1, 1, 1, 0), (line.In, line.Out, line.RefIn, line.RefOut, line.CountError));
    }

    [Fact]
    public void Match_CrossingJustOutsideTolerance_IsOneMissedAndOneExtra()
    {
        var line = Match([In(10)], [In(36)]);
        Assert.Equal([36L], line.Missed.Select(c => c.Frame));
        Assert.Equal([10L], line.Extra.Select(c => c.Frame));
        Assert.Equal(0, line.CountError); // the totals agree; the matching shows both errors
    }

    [Fact]
    public void Match_SameTimeOtherDirection_IsNotAMatch()
    {
        var line = Match([Out(10)], [In(10)]);
        Assert.Equal(["in"], line.Missed.Select(c => c.Dir));
        Assert.Equal(["out"], line.Extra.Select(c => c.Dir));
    }

    [Fact]
    public void Match_TwoCandidates_TheClosestInTimeIsTaken()
    {
        var line = Match([In(18)], [In(10), In(20)]);
        Assert.Equal([10L], line.Missed.Select(c => c.Frame));
        Assert.Empty(line.Extra);
    }

    [Fact]
    public void Match_EachCrossingIsUsedOnce()
    {
        var line = Match([In(10, track: 1), In(11, track: 2)], [In(10)]);
        Assert.Empty(line.Missed);
        Assert.Equal([(11L, 2)], line.Extra.Select(c => (c.Frame, c.TrackId)));
    }

    [Fact]
    public void Match_OtherLinesCrossings_AreIgnored()
    {
        var line = Match([new Crossing(10, "exit", 1, 1)], []);
        Assert.Equal((0, 0), (line.In, line.Extra.Count));
    }
}
