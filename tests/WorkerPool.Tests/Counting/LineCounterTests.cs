using WorkerPool.Config;
using WorkerPool.Counting;
using WorkerPool.Geometry;

namespace WorkerPool.Tests.Counting;

public class LineCounterTests
{
    private static LineCounter Vertical(double hysteresis = 0.01) =>
        new(new LineOptions { Id = "door", From = [0.5, 0], To = [0.5, 1] }, hysteresis);

    [Fact]
    public void Observe_WalkLeftToRightOverVerticalLine_CountsIn()
    {
        var line = Vertical();
        foreach (double x in new[] { 0.3, 0.4, 0.45, 0.55, 0.6 }) line.Observe(1, new Point2(x, 0.5));
        Assert.Equal((1L, 0L), (line.In, line.Out));
    }

    [Fact]
    public void Observe_WalkRightToLeft_CountsOut()
    {
        var line = Vertical();
        foreach (double x in new[] { 0.7, 0.6, 0.4, 0.3 }) line.Observe(1, new Point2(x, 0.5));
        Assert.Equal((0L, 1L), (line.In, line.Out));
    }

    [Fact]
    public void Observe_JitterInsideDeadBand_DoesNotCount()
    {
        var line = Vertical(hysteresis: 0.02);
        line.Observe(1, new Point2(0.4, 0.5));
        foreach (double x in new[] { 0.49, 0.51, 0.495, 0.515, 0.49 }) line.Observe(1, new Point2(x, 0.5));
        Assert.Equal((0L, 0L), (line.In, line.Out));
    }

    [Fact]
    public void Observe_CrossBackAndForth_CountsEachRealCrossingOnce()
    {
        var line = Vertical();
        foreach (double x in new[] { 0.4, 0.6, 0.62, 0.4, 0.6 }) line.Observe(7, new Point2(x, 0.5));
        Assert.Equal((2L, 1L), (line.In, line.Out));
    }

    [Fact]
    public void Observe_TrackBornInsideTheBand_TakesItsSideFromItsVelocity_WhenBandBirthsAreOn()
    {
        var on = new LineCounter(new LineOptions { Id = "door", From = [0.5, 0], To = [0.5, 1] }, 0.02, bandBirths: true);
        var off = Vertical(hysteresis: 0.02);
        foreach (var line in new[] { on, off })
            foreach (double x in new[] { 0.49, 0.505, 0.53, 0.56 }) line.Observe(1, new Point2(x, 0.5)); // appears on the line, walks right

        Assert.Equal((1L, 0L), (on.In, on.Out)); // it came from the left: in
        Assert.Equal((0L, 0L), (off.In, off.Out)); // the default: its first side is where it left the band
    }

    [Fact]
    public void Observe_BornInTheBandBeyondTheSegmentsEnd_IsNoCrossing()
    {
        var line = new LineCounter(new LineOptions { Id = "short", From = [0.5, 0.4], To = [0.5, 0.6] }, 0.02, bandBirths: true);
        foreach (double x in new[] { 0.5, 0.53, 0.56 }) line.Observe(1, new Point2(x, 0.8));
        Assert.Equal((0L, 0L), (line.In, line.Out));
    }

    [Fact]
    public void Observe_AJumpAcrossTheLine_IsNotACrossing_AndTheNextRealOneCounts()
    {
        var line = Vertical();
        line.Observe(3, new Point2(0.4, 0.5));
        Assert.Equal(0, line.Observe(3, new Point2(0.6, 0.5), jumped: true)); // re-found too far away: someone else
        Assert.Equal(-1, line.Observe(3, new Point2(0.4, 0.5))); // its side is now the right: walking back counts out
        Assert.Equal((0L, 1L), (line.In, line.Out));
    }

    [Fact]
    public void Observe_PathAroundTheEndOfASegment_DoesNotCount()
    {
        var line = new LineCounter(new LineOptions { Id = "short", From = [0.5, 0.4], To = [0.5, 0.6] }, 0.01);
        line.Observe(1, new Point2(0.4, 0.9));
        line.Observe(1, new Point2(0.6, 0.9)); // passes below the segment's end
        Assert.Equal((0L, 0L), (line.In, line.Out));
    }

    [Fact]
    public void Observe_TwoTracks_AreCountedIndependently()
    {
        var line = Vertical();
        line.Observe(1, new Point2(0.4, 0.5));
        line.Observe(2, new Point2(0.6, 0.5));
        line.Observe(1, new Point2(0.6, 0.5));
        line.Observe(2, new Point2(0.4, 0.5));
        Assert.Equal((1L, 1L), (line.In, line.Out));
    }

    [Fact]
    public void Forget_RemovedTrack_StartsAfreshWithoutCounting()
    {
        var line = Vertical();
        line.Observe(1, new Point2(0.4, 0.5));
        line.Forget(1);
        line.Observe(1, new Point2(0.6, 0.5));
        Assert.Equal((0L, 0L), (line.In, line.Out));
    }
}
