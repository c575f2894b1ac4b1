using WorkerPool.Geometry;

namespace WorkerPool.Tests.Geometry;

public class PlanarTests
{
    private static readonly Point2[] Square = [new(0, 0), new(1, 0), new(1, 1), new(0, 1)];

    [Fact]
    public void Cross_PointRightOfDownwardLine_IsNegative()
    {
        // (0.5,0)->(0.5,1) points down the image; x > 0.5 is the "in" side after a left-to-right walk.
        Assert.True(Planar.Cross(new(0.5, 0), new(0.5, 1), new(0.2, 0.5)) > 0);
        Assert.True(Planar.Cross(new(0.5, 0), new(0.5, 1), new(0.8, 0.5)) < 0);
    }

    [Fact]
    public void SegmentsIntersect_CrossingAndDisjointSegments_AreTold()
    {
        Assert.True(Planar.SegmentsIntersect(new(0, 0), new(1, 1), new(0, 1), new(1, 0)));
        Assert.False(Planar.SegmentsIntersect(new(0, 0), new(1, 0), new(0, 1), new(1, 1)));
        Assert.True(Planar.SegmentsIntersect(new(0, 0), new(1, 0), new(1, 0), new(1, 1))); // touching end
    }

    [Fact]
    public void Contains_InsideOutsideAndOnEdge_AreTold()
    {
        Assert.True(Planar.Contains(Square, new(0.5, 0.5)));
        Assert.False(Planar.Contains(Square, new(1.5, 0.5)));
        Assert.True(Planar.Contains(Square, new(0.5, 1.0))); // feet on the bottom frame edge are in the frame
    }

    [Fact]
    public void IsSelfIntersecting_Bowtie_IsTrue_SquareIsFalse()
    {
        Assert.False(Planar.IsSelfIntersecting(Square));
        Assert.True(Planar.IsSelfIntersecting([new(0, 0), new(1, 1), new(1, 0), new(0, 1)]));
    }

    [Fact]
    public void IoU_IdenticalHalfOverlapAndDisjoint_AreExact()
    {
        var a = new BoxF(0, 0, 10, 10);
        Assert.Equal(1f, BoxF.IoU(a, a));
        Assert.Equal(50f / 150f, BoxF.IoU(a, new BoxF(5, 0, 15, 10)), 5);
        Assert.Equal(0f, BoxF.IoU(a, new BoxF(20, 20, 30, 30)));
    }
}
