using WorkerPool.Config;
using WorkerPool.Evaluation;

namespace WorkerPool.Tests.Evaluation;

public class ReferenceCounterTests
{
    /// <summary>
    /// A 100x100 video, four frames, boxes 10 wide (feet = left + 5, top + height):
    /// id 1 walks left to right high up (x 30..70, y 0.3), crossing both lines at frame 3;
    /// id 2 walks right to left low down (y 0.6), below the end of the short line;
    /// id 3 steps over the door and back (in at frame 2, out at frame 3);
    /// id 4 stands in the bench zone (feet at 0.1, 0.1) throughout.
    /// </summary>
    internal const string SmallGt = """
        1,1,25,10,10,20,1,-1,-1,-1
        2,1,35,10,10,20,1,-1,-1,-1
        3,1,55,10,10,20,1,-1,-1,-1
        4,1,65,10,10,20,1,-1,-1,-1
        1,2,65,40,10,20,1,-1,-1,-1
        2,2,55,40,10,20,1,-1,-1,-1
        3,2,40,40,10,20,1,-1,-1,-1
        4,2,30,40,10,20,1,-1,-1,-1

        1,3,35,60,10,20,1,-1,-1,-1
        2,3,55,60,10,20,1,-1,-1,-1
        3,3,35,60,10,20,1,-1,-1,-1
        1,4,5,0,10,10,1,-1,-1,-1
        2,4,5,0,10,10,1,-1,-1,-1
        3,4,5,0,10,10,1,-1,-1,-1
        4,4,5,0,10,10,1,-1,-1,-1
        """;

    internal static CameraOptions Camera() => new()
    {
        Id = "cam",
        Lines =
        [
            new LineOptions { Id = "door", From = [0.5, 0], To = [0.5, 1] },
            new LineOptions { Id = "short", From = [0.5, 0], To = [0.5, 0.5] },
        ],
        Zones =
        [
            new ZoneOptions { Id = "bench", Polygon = [[0, 0], [0.2, 0], [0.2, 0.2], [0, 0.2]] },
            new ZoneOptions { Id = "right", Polygon = [[0.52, 0], [1, 0], [1, 1], [0.52, 1]] },
        ],
    };

    private static Reference Count(long frames = 4) =>
        ReferenceCounter.Count(GroundTruth.Parse(new StringReader(SmallGt)), Camera(), 100, 100, frames);

    [Fact]
    public void Count_IdentitiesCrossingBothWays_GivesInFromPositiveSideAndOutBack()
    {
        var door = Count().Crossings.Where(c => c.LineId == "door").Select(c => (c.Frame, c.Dir, c.TrackId)).ToList();
        Assert.Equal([(2L, "in", 3), (3L, "in", 1), (3L, "out", 2), (3L, "out", 3)], door);
    }

    [Fact]
    public void Count_StepPassingBeyondTheSegmentsEnd_IsNoCrossing()
    {
        // id 2 changes sides of the short line's extension at y 0.6, below its end at 0.5; id 3 too, at 0.8.
        var crossings = Count().Crossings.Where(c => c.LineId == "short").Select(c => (c.Frame, c.Dir, c.TrackId)).ToList();
        Assert.Equal([(3L, "in", 1)], crossings);
    }

    [Fact]
    public void Count_PersonStandingInZone_IsCountedOnEveryFrame()
    {
        var reference = Count();
        Assert.Equal([1, 1, 1, 1], reference.ZoneOccupancy[0]);
        // The right half: id 2 (0.7, 0.6), then ids 2 and 3 at 0.6, then id 1 at 0.6, then id 1 at 0.7.
        Assert.Equal([1, 2, 1, 1], reference.ZoneOccupancy[1]);
    }

    [Fact]
    public void Count_GroundTruthBeyondTheVideo_IsLeftOut()
    {
        var reference = Count(frames: 2);
        Assert.Equal([(2L, "door", 3)], reference.Crossings.Select(c => (c.Frame, c.LineId, c.TrackId)));
        Assert.Equal([1, 1], reference.ZoneOccupancy[0]);
    }

    [Fact]
    public void Count_FeetAreNormalizedByTheFrameSize()
    {
        // Twice the frame width puts every point in the left half: nothing crosses the door.
        var reference = ReferenceCounter.Count(GroundTruth.Parse(new StringReader(SmallGt)), Camera(), 200, 100, 4);
        Assert.Empty(reference.Crossings);
    }
}
