using WorkerPool.Config;
using WorkerPool.Geometry;
using WorkerPool.Inference;
using WorkerPool.Tracking;

namespace WorkerPool.Tests.Tracking;

public class TrackerTests
{
    private static Detection Person(float x, float y, float score = 0.9f) => new(new BoxF(x, y, x + 30, y + 80), score);

    private static IReadOnlyList<Track> Step(ByteTracker t, int frame, params Detection[] dets) => t.Update([.. dets], frame / 25.0);

    [Fact]
    public void Update_TwoPeopleWalkingApart_KeepTheirIdsEveryFrame()
    {
        var tracker = new ByteTracker(new TrackerOptions());
        var first = Step(tracker, 0, Person(100, 100), Person(400, 100));
        var ids = first.OrderBy(t => t.Box.X1).Select(t => t.Id).ToArray();
        for (int f = 1; f < 50; f++)
        {
            var tracks = Step(tracker, f, Person(100 + 3 * f, 100), Person(400 - 3 * f, 100 + f));
            Assert.Equal(2, tracks.Count);
            Assert.Equal(ids[0], tracks.MinBy(t => t.Box.Y1)!.Id);
        }
    }

    [Fact]
    public void Update_PersonHiddenForAFewFrames_IsFoundAgainWithTheSameId()
    {
        var tracker = new ByteTracker(new TrackerOptions { LostSeconds = 1 });
        int id = 0;
        for (int f = 0; f < 10; f++) id = Step(tracker, f, Person(100 + 4 * f, 100)).Single().Id;
        for (int f = 10; f < 18; f++) Assert.Empty(Step(tracker, f)); // occluded
        var back = Step(tracker, 18, Person(100 + 4 * 18, 100));
        Assert.Equal(id, Assert.Single(back).Id);
    }

    [Theory]
    [InlineData(1.5, true)]
    [InlineData(0.5, false)]
    [InlineData(0, false)]
    public void Update_PersonWhoChangedPaceBehindAnOcclusion_IsFoundAgainByDistanceOnlyWithinLostReidHeights(double heights, bool sameId)
    {
        var tracker = new ByteTracker(new TrackerOptions { LostSeconds = 2, LostReidHeights = heights });
        int id = 0;
        for (int f = 0; f < 10; f++) id = Step(tracker, f, Person(100 + 4 * f, 100)).Single().Id;
        for (int f = 10; f < 18; f++) Assert.Empty(Step(tracker, f));
        // It turned back while hidden: its prediction walked on (about x 170), it reappears where it started, so the
        // boxes no longer overlap (IoU 0) and the centres are about 0.9 of its 80 px height apart.
        Step(tracker, 18, Person(100, 100));
        var back = Step(tracker, 19, Person(100, 100));
        Assert.Equal(sameId, back.Any(t => t.Id == id));
    }

    [Theory]
    [InlineData(2.0, true)]
    [InlineData(0, false)]
    public void Update_LostTrackReFoundFartherThanAPersonWalks_IsMarkedJumped_OnlyInThatFrame(double maxSpeed, bool jumped)
    {
        // Standing still, then lost for 3 frames (0.12 s), then re-found 1.4 heights away by distance: 11 heights a second.
        var tracker = new ByteTracker(new TrackerOptions { LostSeconds = 2, LostReidHeights = 1.5, MaxSpeedHeightsPerSecond = maxSpeed });
        int id = 0;
        for (int f = 0; f < 10; f++) id = Step(tracker, f, Person(100, 100)).Single().Id;
        for (int f = 10; f < 13; f++) Assert.Empty(Step(tracker, f));
        var back = Step(tracker, 13, Person(100, 212)).Single(t => t.Id == id);
        Assert.Equal(jumped, back.Jumped);
        Assert.False(Step(tracker, 14, Person(100, 212)).Single(t => t.Id == id).Jumped);
    }

    [Fact]
    public void Update_LostTrackReFoundWhereItsWalkTookIt_IsNotAJump()
    {
        var tracker = new ByteTracker(new TrackerOptions { LostSeconds = 2 });
        int id = 0;
        for (int f = 0; f < 10; f++) id = Step(tracker, f, Person(100 + 4 * f, 100)).Single().Id;
        for (int f = 10; f < 18; f++) Assert.Empty(Step(tracker, f));
        var back = Step(tracker, 18, Person(100 + 4 * 18, 100)).Single(t => t.Id == id);
        Assert.False(back.Jumped);
    }

    [Fact]
    public void Update_LowScoreDetectionOfTrackedPerson_KeepsTheTrackAlive()
    {
        var tracker = new ByteTracker(new TrackerOptions());
        int id = 0;
        for (int f = 0; f < 5; f++) id = Step(tracker, f, Person(100 + 2 * f, 100)).Single().Id;
        var partly = Step(tracker, 5, Person(110, 100, score: 0.2f));
        Assert.Equal(id, Assert.Single(partly).Id);
    }

    [Fact]
    public void Update_LowScoreDetectionAlone_NeverStartsATrack()
    {
        var tracker = new ByteTracker(new TrackerOptions());
        for (int f = 0; f < 5; f++) Assert.Empty(Step(tracker, f, Person(100, 100, score: 0.3f)));
    }

    [Fact]
    public void Update_NewPersonAfterFirstFrame_IsReportedFromItsSecondFrame()
    {
        var tracker = new ByteTracker(new TrackerOptions());
        Step(tracker, 0);
        Assert.Empty(Step(tracker, 1, Person(200, 200)));
        Assert.Single(Step(tracker, 2, Person(202, 200)));
    }

    [Fact]
    public void Update_LostLongerThanBuffer_IsRemovedAndReported()
    {
        var tracker = new ByteTracker(new TrackerOptions { LostSeconds = 0.2 });
        int id = Step(tracker, 0, Person(100, 100)).Single().Id;
        var removed = new List<int>();
        for (int f = 1; f < 20; f++)
        {
            Step(tracker, f);
            removed.AddRange(tracker.RemovedIds);
        }
        Assert.Equal([id], removed);
        Assert.Empty(tracker.AllTracks);
    }

    [Fact]
    public void KalmanFilter_ConstantVelocity_PredictsAhead()
    {
        var kf = KalmanBoxFilter.Initiate(new BoxF(0, 0, 20, 40));
        for (int i = 1; i <= 20; i++)
        {
            kf.Predict();
            kf.Update(new BoxF(5 * i, 0, 5 * i + 20, 40));
        }
        kf.Predict();
        Assert.Equal(105, kf.Box.X1, 0);
        Assert.Equal(40, kf.Box.Height, 0);
    }

    [Fact]
    public void LinearAssignment_FindsMinimumTotalNotGreedy()
    {
        // Greedy would take (0,0)=1 and then (1,1)=10: total 11. Optimal is (0,1)+(1,0) = 2+2.
        double[] cost = [1, 2, 2, 10];
        Span<int> match = stackalloc int[2];
        new LinearAssignment().Solve(2, 2, cost, 100, match);
        Assert.Equal([1, 0], match.ToArray());
    }

    [Fact]
    public void LinearAssignment_CostAboveLimitAndExtraRows_StayUnmatched()
    {
        double[] cost = [0.1, 0.9, 0.95, 0.2, 0.9, 0.9]; // 3 rows x 2 cols
        Span<int> match = stackalloc int[3];
        new LinearAssignment().Solve(3, 2, cost, 0.5, match);
        Assert.Equal([0, 1, -1], match.ToArray());
    }

    [Fact]
    public void ReorderBuffer_ItemsOutOfOrder_AreTakenInAdmissionOrder()
    {
        var buffer = new ReorderBuffer<string>();
        var taken = new List<string>();
        foreach (long admit in new long[] { 2, 0, 3, 1, 4 })
        {
            Assert.True(buffer.TryAdd(admit, "f" + admit));
            while (buffer.TryTakeNext(out var item)) taken.Add(item);
            if (admit == 2) Assert.Empty(taken); // 0 has not arrived: nothing is in order yet
        }
        Assert.Equal(["f0", "f1", "f2", "f3", "f4"], taken);
        Assert.Equal((0, 5L), (buffer.Waiting, buffer.Next));
    }

    [Fact]
    public void ReorderBuffer_Duplicate_IsRefusedSoTheCallerKeepsIt()
    {
        var buffer = new ReorderBuffer<string>();
        Assert.True(buffer.TryAdd(1, "late"));
        Assert.False(buffer.TryAdd(1, "again")); // waiting already
        Assert.True(buffer.TryAdd(0, "first"));
        while (buffer.TryTakeNext(out _)) { }
        Assert.False(buffer.TryAdd(0, "replayed")); // taken already
        Assert.False(buffer.TryTakeNext(out _));
    }
}
