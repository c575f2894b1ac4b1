using WorkerPool.Contracts;
using WorkerPool.Outbox;

namespace WorkerPool.Tests.Outbox;

public sealed class LossRangesTests
{
    [Fact]
    public void Add_TouchingOrOverlappingRangesOfOneReason_BecomeOne()
    {
        var losses = new LossRanges();
        losses.Add("a", 1, 3, LossReason.Retention);
        losses.Add("a", 4, 6, LossReason.Retention);
        losses.Add("a", 5, 9, LossReason.Retention);
        losses.Add("a", 20, 20, LossReason.Retention);

        Assert.Equal([new LossRange("a", 20, 20, "retention"), new LossRange("a", 1, 9, "retention")], losses.Snapshot);
    }

    [Fact]
    public void Add_TouchingRangesOfDifferentReasons_StayApart()
    {
        var losses = new LossRanges();
        losses.Add("a", 1, 3, LossReason.Retention);
        losses.Add("a", 4, 4, LossReason.Unstored);

        Assert.Equal([new LossRange("a", 4, 4, "unstored"), new LossRange("a", 1, 3, "retention")], losses.Snapshot);
    }

    [Fact]
    public void Snapshot_GroupsByCameraInOrder_EachMostRecentFirst()
    {
        var losses = new LossRanges();
        losses.Add("b", 2, 2, LossReason.Unstored);
        losses.Add("a", 1, 1, LossReason.Retention);
        losses.Add("b", 10, 12, LossReason.Retention);
        losses.Add("a", 7, 8, LossReason.Unstored);

        Assert.Equal(
        [
            new LossRange("a", 7, 8, "unstored"), new LossRange("a", 1, 1, "retention"),
            new LossRange("b", 10, 12, "retention"), new LossRange("b", 2, 2, "unstored"),
        ], losses.Snapshot);
    }

    [Fact]
    public void Add_BeyondSixteenRangesOfACamera_ForgetsTheOldest()
    {
        var losses = new LossRanges();
        for (long i = 1; i <= 20; i++) losses.Add("a", i * 10, i * 10, LossReason.Retention);
        losses.Add("b", 5, 5, LossReason.Unstored);
        losses.Add("a", 1, 1, LossReason.Retention); // older than all sixteen kept: forgotten at once

        var a = losses.Snapshot.Where(r => r.Camera == "a").ToList();
        Assert.Equal(LossRanges.MaxPerCamera, a.Count);
        Assert.Equal((200L, 50L), (a[0].FromSeq, a[^1].FromSeq));
        Assert.Single(losses.Snapshot, r => r.Camera == "b"); // the cap is per camera
    }

    [Fact]
    public void Snapshot_BeyondTheHeartbeatsBound_KeepsEveryCamerasMostRecentRanges()
    {
        var losses = new LossRanges();
        for (int c = 0; c < 20; c++)
            for (long i = 1; i <= LossRanges.MaxPerCamera; i++) losses.Add($"cam-{c:D2}", i * 10, i * 10, LossReason.Retention);

        var reported = losses.Snapshot;

        Assert.Equal(LossRanges.MaxReported, reported.Count);
        Assert.All(reported.GroupBy(r => r.Camera), g =>
        {
            Assert.InRange(g.Count(), LossRanges.MaxReported / 20, LossRanges.MaxReported / 20 + 1);
            Assert.Equal(LossRanges.MaxPerCamera * 10L, g.First().FromSeq); // the most recent first, still
        });
        Assert.Equal([.. reported.Select(r => r.Camera).Distinct().Order(StringComparer.Ordinal)], reported.Select(r => r.Camera).Distinct());
    }

    [Fact]
    public void AddEach_RunsOfSeqsBecomeRanges()
    {
        var losses = new LossRanges();
        losses.AddEach([("a", 3), ("a", 1), ("b", 4), ("a", 2), ("a", 7), ("a", 8)], LossReason.Retention);

        Assert.Equal(
        [
            new LossRange("a", 7, 8, "retention"), new LossRange("a", 1, 3, "retention"), new LossRange("b", 4, 4, "retention"),
        ], losses.Snapshot);
    }

    [Fact]
    public void Add_AnEmptyOrInvalidRange_IsIgnored()
    {
        var losses = new LossRanges();
        losses.Add("a", 0, 3, LossReason.Retention);
        losses.Add("a", 5, 4, LossReason.Retention);

        Assert.Empty(losses.Snapshot);
    }

    [Fact]
    public void WriteThenRead_GivesTheSameRanges_AndAnOlderPayloadWithoutThemReadsAsNone()
    {
        var losses = new LossRanges();
        losses.Add("a", 1, 3, LossReason.Retention);
        losses.Add("cam-2", 9, 9, LossReason.Unstored);
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) losses.Write(w);

        var read = new LossRanges();
        buffer.Position = 0;
        using (var r = new BinaryReader(buffer, System.Text.Encoding.UTF8, leaveOpen: true)) read.Read(r);
        Assert.Equal(losses.Snapshot, read.Snapshot);

        var older = new LossRanges();
        using (var r = new BinaryReader(new MemoryStream([]))) older.Read(r);
        Assert.Empty(older.Snapshot);
    }

    [Fact]
    public void Headroom_CoversEveryCamerasFullSetOfRanges()
    {
        var losses = new LossRanges();
        int before = Size(losses);
        int room = losses.Headroom(["a", "b"]);
        for (long i = 1; i <= 40; i++)
        {
            losses.Add("a", i * 10, i * 10, LossReason.Retention);
            losses.Add("b", i * 10, i * 10, LossReason.Unstored);
        }

        Assert.True(Size(losses) - before <= room, $"grew by {Size(losses) - before}, headroom was {room}");
        Assert.Equal(0, losses.Headroom(["a", "b"]));
    }

    private static int Size(LossRanges losses)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer)) losses.Write(w);
        return buffer.ToArray().Length;
    }
}
