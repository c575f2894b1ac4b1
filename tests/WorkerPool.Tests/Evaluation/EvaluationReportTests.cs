using System.Text.Json;
using WorkerPool.Evaluation;

namespace WorkerPool.Tests.Evaluation;

public class EvaluationReportTests
{
    [Fact]
    public void Compare_OccupancyOffBothWays_HasTheRightMeanAndAnMaeOfTheError()
    {
        var zone = ZoneAccuracy.Compare("bench", [1, 3, 2, 2], [2, 2, 2, 2]);
        Assert.Equal(("bench", 2.0, 2.0, 0.5), (zone.Id, zone.Mean, zone.RefMean, zone.Mae));
    }

    [Fact]
    public void ToJson_IsOneLineOfTheDocumentedShape()
    {
        var line = new LineAccuracy("door", 2, 1, 1, 2, [new Crossing(36, "door", -1, 4)], [new Crossing(10, "door", 1, 7)]);
        var report = new EvaluationReport(795, 44.567, [line], [new ZoneAccuracy("walk", 5.4821, 5.7711, 0.4861)]);
        Assert.Equal(
            """{"frames":795,"fps":44.57,"lines":{"door":{"in":2,"out":1,"refIn":1,"refOut":2,"missed":[{"frame":36,"dir":"out"}],"extra":[{"frame":10,"dir":"in"}]}},"zones":{"walk":{"mean":5.482,"refMean":5.771,"mae":0.486}}}""",
            report.ToJson());
    }

    [Fact]
    public void ToTable_NamesEachLineZoneAndError()
    {
        var line = new LineAccuracy("door", 2, 1, 1, 2, [new Crossing(36, "door", -1, 4)], [new Crossing(10, "door", 1, 7)]);
        string table = new EvaluationReport(795, 44.5, [line], [new ZoneAccuracy("walk", 5.5, 5.77, 0.49)]).ToTable();
        Assert.Contains("missed door out at frame 36 (ground-truth id 4)", table, StringComparison.Ordinal);
        Assert.Contains("extra  door in at frame 10 (track 7)", table, StringComparison.Ordinal);
        Assert.Contains("summed |in-refIn|+|out-refOut|: 2 of 3", table, StringComparison.Ordinal);
        Assert.Contains("walk", table, StringComparison.Ordinal);
        // The table never ends in something a JSON reader of the last line could mistake for the summary.
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(table.TrimEnd().Split('\n')[^1]));
    }
}
