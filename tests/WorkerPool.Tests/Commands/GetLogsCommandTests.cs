using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using WorkerPool.Commands;
using WorkerPool.Commands.Handlers;
using WorkerPool.Diagnostics;

namespace WorkerPool.Tests.Commands;

public sealed class GetLogsCommandTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly LogTail _tail;

    public GetLogsCommandTests() => _tail = new LogTail(_time);

    private void Log(LogLevel level, string message)
    {
        _tail.CreateLogger("WorkerPool.Test").Log(level, default, message, null, (s, _) => s);
        _time.Advance(TimeSpan.FromSeconds(1));
    }

    private async Task<JsonObject> Run(string json) => (await new GetLogsCommand(_tail).RunAsync(JsonNode.Parse(json)!.AsObject()))!.AsObject();

    private static string[] Lines(JsonObject result) => [.. result["lines"]!.AsArray().Select(l => l!.GetValue<string>())];

    [Fact]
    public async Task EmptyRequest_AnswersTheNewest100_OldestFirst_WithTheTimeOfTheOldest()
    {
        for (int i = 1; i <= 150; i++) Log(LogLevel.Information, $"line {i}");

        var result = await Run("{}");

        var lines = Lines(result);
        Assert.Equal(100, lines.Length);
        Assert.EndsWith("] line 51", lines[0], StringComparison.Ordinal);
        Assert.EndsWith("] line 150", lines[^1], StringComparison.Ordinal);
        Assert.Equal(0, result["dropped"]!.GetValue<int>());
        Assert.Equal("2026-12-01T12:00:50.0000000Z", result["since"]!.GetValue<string>());
    }

    [Fact]
    public async Task MinLevel_LeavesOutLowerLines_AndLinesCountsOnlyTheOnesAtThatLevel()
    {
        Log(LogLevel.Warning, "w1");
        Log(LogLevel.Information, "i1");
        Log(LogLevel.Error, "e1");
        Log(LogLevel.Information, "i2");
        Log(LogLevel.Warning, "w2");

        var result = await Run("""{"lines": 2, "minLevel": "warning"}""");

        Assert.Equal(["e1", "w2"], Lines(result).Select(l => l[(l.LastIndexOf(' ') + 1)..]));
        Assert.Contains(" fail: ", Lines(result)[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task NothingHeld_AnswersNoLinesAndNoSince()
    {
        var result = await Run("""{"minLevel": "Error"}""");

        Assert.Empty(Lines(result));
        Assert.Null(result["since"]);
    }

    [Fact]
    public async Task OverTheByteCap_LeavesOutTheOldestLines_AndCountsThem()
    {
        // 500 lines of ~2 KiB are ~1 MiB: far over the cap.
        for (int i = 0; i < 500; i++) Log(LogLevel.Information, $"{i:000} " + new string('x', 3000));

        var result = await Run("""{"lines": 500}""");

        var lines = Lines(result);
        int dropped = result["dropped"]!.GetValue<int>();
        Assert.Equal(500, lines.Length + dropped);
        Assert.InRange(lines.Length, 1, 40);
        Assert.Contains("] 499 ", lines[^1], StringComparison.Ordinal);
        Assert.True(Encoding.UTF8.GetByteCount(result["lines"]!.ToJsonString()) <= GetLogsCommand.MaxReplyBytes + 2);
        Assert.True(Encoding.UTF8.GetByteCount(new JsonObject { ["ok"] = true, ["result"] = result.DeepClone() }.ToJsonString()) < 70 * 1024);
    }

    [Fact]
    public async Task NonAsciiLines_AreMeasuredAsSent()
    {
        // Escaped as \uXXXX by the reply's serializer: six bytes each, not one character.
        for (int i = 0; i < 200; i++) Log(LogLevel.Information, new string('°', 1500));

        var result = await Run("""{"lines": 200}""");

        Assert.True(Encoding.UTF8.GetByteCount(result["lines"]!.ToJsonString()) <= GetLogsCommand.MaxReplyBytes + 2);
        Assert.True(result["dropped"]!.GetValue<int>() > 0);
    }

    [Theory]
    [InlineData("""{"lines": 0}""", "lines must be 1 to 500 (it is 0)")]
    [InlineData("""{"lines": 501}""", "lines must be 1 to 500 (it is 501)")]
    [InlineData("""{"lines": "10"}""", "lines is a whole number")]
    [InlineData("""{"lines": 1.5}""", "lines is a whole number")]
    [InlineData("""{"minLevel": "debug"}""", "get-logs takes")]
    [InlineData("""{"minLevel": "2"}""", "get-logs takes")]
    [InlineData("""{"minLevel": 3}""", "get-logs takes")]
    public async Task BadRequest_IsRefusedWithWhatIsWrong(string request, string error)
    {
        var ex = await Assert.ThrowsAsync<CommandException>(() => Run(request));

        Assert.Contains(error, ex.Message, StringComparison.Ordinal);
    }
}
