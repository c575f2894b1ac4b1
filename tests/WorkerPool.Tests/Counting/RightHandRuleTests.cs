using WorkerPool.Config;
using WorkerPool.Counting;
using WorkerPool.Geometry;

namespace WorkerPool.Tests.Counting;

/// <summary>
/// The rule docs/PLACING.md states: standing on <c>from</c> facing <c>to</c> (on the picture as shown, y down),
/// <c>in</c> goes from your right to your left. Each case names the walker's right by hand, not by the formula.
/// </summary>
public class RightHandRuleTests
{
    public static TheoryData<string, double[], double[], double[], double[]> Lines => new()
    {
        // name, from, to, a point on the walker's right, a point on the walker's left
        { "facing right on the picture: right is below", [0.2, 0.5], [0.8, 0.5], [0.5, 0.7], [0.5, 0.3] },
        { "facing left on the picture: right is above", [0.8, 0.5], [0.2, 0.5], [0.5, 0.3], [0.5, 0.7] },
        { "facing down (the demo's mid): right is the picture's left", [0.5, 0], [0.5, 1], [0.3, 0.5], [0.7, 0.5] },
        { "facing up: right is the picture's right", [0.5, 1], [0.5, 0], [0.7, 0.5], [0.3, 0.5] },
        { "facing down-right: right is down-left", [0.2, 0.2], [0.8, 0.8], [0.3, 0.7], [0.7, 0.3] },
    };

    private static long[] Walk(double[] from, double[] to, double[] start, double[] end)
    {
        var line = new LineCounter(new LineOptions { Id = "door", From = from, To = to }, 0.0125);
        for (int step = 0; step <= 10; step++)
        {
            double k = step / 10.0;
            line.Observe(1, new Point2(start[0] + k * (end[0] - start[0]), start[1] + k * (end[1] - start[1])));
        }
        return [line.In, line.Out];
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public void Walk_FromTheRightOfFromFacingToOverToItsLeft_CountsIn(string name, double[] from, double[] to, double[] right, double[] left)
    {
        Assert.True(Walk(from, to, right, left) is [1, 0], name);
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public void Walk_FromTheLeftOverToTheRight_CountsOut(string name, double[] from, double[] to, double[] right, double[] left)
    {
        Assert.True(Walk(from, to, left, right) is [0, 1], name);
    }

    [Theory]
    [MemberData(nameof(Lines))]
    public void SwappingFromAndTo_FlipsTheDirection(string name, double[] from, double[] to, double[] right, double[] left)
    {
        Assert.True(Walk(to, from, right, left) is [0, 1], name);
    }
}
