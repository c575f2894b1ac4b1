using WorkerPool.Evaluation;

namespace WorkerPool.Tests.Evaluation;

public class GroundTruthTests
{
    [Fact]
    public void Parse_MotChallengeLines_ReadsBoxesSkippingBlankLines()
    {
        var truth = GroundTruth.Parse(new StringReader(ReferenceCounterTests.SmallGt));
        Assert.Equal(15, truth.Boxes.Count);
        Assert.Equal(4, truth.Identities);
        Assert.Equal(4, truth.LastFrame);
        var first = truth.Boxes[0];
        Assert.Equal((1L, 1), (first.Frame, first.Id));
        Assert.Equal((25f, 10f, 35f, 30f), (first.Box.X1, first.Box.Y1, first.Box.X2, first.Box.Y2));
    }

    [Fact]
    public void Parse_OnlySixColumnsAndDecimalFrameNumbers_AreAccepted()
    {
        var truth = GroundTruth.Parse(new StringReader("3.0,7,1.5,2.5,10,20\n"));
        Assert.Equal((3L, 7, 1.5f, 22.5f), (truth.Boxes[0].Frame, truth.Boxes[0].Id, truth.Boxes[0].Box.X1, truth.Boxes[0].Box.Y2));
    }

    [Theory]
    [InlineData("1,1,0,0,10", "line 2: expected at least 6 comma-separated fields")]
    [InlineData("one,1,0,0,10,10", "line 2: frame 'one' is not a whole number")]
    [InlineData("1,1.5,0,0,10,10", "line 2: id '1.5' is not a whole number")]
    [InlineData("0,1,0,0,10,10", "line 2: frame 0 is below 1")]
    [InlineData("1,1,0,0,-4,10", "line 2: box width and height must be positive")]
    [InlineData("1,1,0,zero,10,10", "line 2: top 'zero' is not a number")]
    [InlineData("1,2,0,0,10,10", "line 2: identity 2 appears twice on frame 1")]
    public void Parse_MalformedLine_NamesTheLineAndTheProblem(string bad, string expected)
    {
        var ex = Assert.Throws<GroundTruthException>(() => GroundTruth.Parse(new StringReader("1,2,5,5,10,10,1,-1,-1,-1\n" + bad + "\n")));
        Assert.Equal(2, ex.Line);
        Assert.StartsWith(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_File_GivesTheSameBoxesAsParse()
    {
        string path = Path.Combine(Path.GetTempPath(), "workerpool-gt-" + Guid.NewGuid().ToString("N") + ".txt");
        File.WriteAllText(path, ReferenceCounterTests.SmallGt);
        try
        {
            Assert.Equal(GroundTruth.Parse(new StringReader(ReferenceCounterTests.SmallGt)).Boxes, GroundTruth.Read(path).Boxes);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
