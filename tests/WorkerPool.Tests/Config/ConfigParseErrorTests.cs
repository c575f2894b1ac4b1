using WorkerPool.Config;
using WorkerPool.Contracts;

namespace WorkerPool.Tests.Config;

/// <summary>Parse errors in the config's own terms: field names, JSON types, lines and columns as a person counts them.</summary>
public class ConfigParseErrorTests
{
    private static ConfigError ParseError(string json) =>
        Assert.Single(Assert.Throws<ConfigException>(() => ConfigLoader.Parse(json)).Errors);

    [Fact]
    public void Parse_MisspelledField_SuggestsTheNearestFieldOfThatObject()
    {
        var error = ParseError("""{ "counting": { "windowSecond": 60 } }""");
        Assert.Equal("$.counting.windowSecond", error.Path);
        Assert.Equal("invalid config JSON: unknown field counting.windowSecond; did you mean windowSeconds?", error.Message);
        Assert.DoesNotContain("could not be mapped", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("WorkerPool.Config", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_FieldInTheWrongCase_SaysNamesAreCaseSensitive() =>
        Assert.Contains("did you mean windowSeconds? (names are case-sensitive)", ParseError("""{ "counting": { "WindowSeconds": 60 } }""").Message, StringComparison.Ordinal);

    [Fact]
    public void Parse_FieldStartingLikeTwoKnownOnes_SuggestsBoth() =>
        Assert.Contains("unknown field mqtt.password; did you mean passwordEnv or passwordFile?",
            ParseError("""{ "mqtt": { "password": "x" } }""").Message, StringComparison.Ordinal);

    [Fact]
    public void Parse_FieldNothingLike_ListsTheFieldsThatObjectTakes()
    {
        string message = ParseError("""{ "cameras": [ { "id": "c", "url": "a.avi", "zzz": 1 } ] }""").Message;
        Assert.Contains("unknown field cameras[0].zzz (known here: id, url, ", message, StringComparison.Ordinal);
        Assert.DoesNotContain("did you mean", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_MemberTheFileCannotSet_IsAnUnknownField()
    {
        var error = ParseError("""{ "baseDirectory": "/etc" }""");
        Assert.Equal("$.baseDirectory", error.Path);
        Assert.DoesNotContain("baseDirectory,", error.Message[error.Message.IndexOf("known here", StringComparison.Ordinal)..], StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnknownFieldsInSeveralPlaces_AreAllNamed()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("""{ "deviceid": "d", "outbox": { "pathh": "x" } }"""));
        Assert.Equal(["$.deviceid", "$.outbox.pathh"], ex.Errors.Select(e => e.Path));
        Assert.Contains("did you mean deviceId?", ex.Errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("did you mean path?", ex.Errors[1].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "counting": { "windowSeconds": "60" } }""", "$.counting.windowSeconds", "counting.windowSeconds is a string; expected a whole number")]
    [InlineData("""{ "counting": { "windowSeconds": 7.5 } }""", "$.counting.windowSeconds", "counting.windowSeconds is a number with a fraction; expected a whole number")]
    [InlineData("""{ "counting": { "windowSeconds": 1e12 } }""", "$.counting.windowSeconds", "is a number that is too large; expected a whole number")]
    [InlineData("""{ "counting": { "lineHysteresis": true } }""", "$.counting.lineHysteresis", "counting.lineHysteresis is true; expected a number")]
    [InlineData("""{ "mqtt": { "enabled": "yes" } }""", "$.mqtt.enabled", "mqtt.enabled is a string; expected true or false")]
    [InlineData("""{ "mqtt": { "host": 1 } }""", "$.mqtt.host", "mqtt.host is a number; expected a string")]
    [InlineData("""{ "mqtt": 5 }""", "$.mqtt", "mqtt is a number; expected an object")]
    [InlineData("""{ "cameras": {} }""", "$.cameras", "cameras is an object; expected an array of objects")]
    [InlineData("""{ "pool": { "workers": [ { "cores": "0" } ] } }""", "$.pool.workers[0].cores", "is a string; expected an array of whole numbers")]
    [InlineData("""{ "cameras": [ { "lines": [ { "from": 0.5 } ] } ] }""", "$.cameras[0].lines[0].from", "is a number; expected an array of numbers")]
    [InlineData("""{ "cameras": [ { "zones": [ { "polygon": [[0, 0], 1] } ] } ] }""", "$.cameras[0].zones[0].polygon[1]", "is a number; expected an array of numbers")]
    [InlineData("""{ "counting": { "windowSeconds": null } }""", "$.counting.windowSeconds", "counting.windowSeconds is null; expected a whole number")]
    public void Parse_WrongType_IsNamedInJsonTypesNotDotNetOnes(string json, string path, string message)
    {
        var error = ParseError(json);
        Assert.Equal(path, error.Path);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NullForAnOptionalSection_IsNotATypeError() =>
        Assert.Null(ConfigLoader.Parse("""{ "mqtt": { "username": null } }""").Mqtt.Username);

    [Theory]
    [InlineData("{\n  \"deviceId\": \"d\",\n  \"counting\": { \"windowSeconds\": x }\n}", 3, 34)]
    [InlineData("{\n  \"deviceId\": \"d\"\n  \"counting\": {}\n}", 3, 3)]
    [InlineData("{ \"deviceId\": \"é\", ]", 1, 20)]
    public void Parse_SyntaxError_GivesLineAndColumnCountingFromOne(string json, int line, int column)
    {
        var error = ParseError(json);
        Assert.Equal("$", error.Path);
        Assert.StartsWith($"invalid config JSON at line {line}, column {column}: ", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("BytePositionInLine", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UnclosedDocument_SaysWhereItEnded()
    {
        var error = ParseError("{\n  \"deviceId\": \"d\",\n");
        Assert.StartsWith("invalid config JSON at line 3, column 1: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_CommentsAndTrailingCommas_AreStillAccepted() =>
        Assert.Equal("d", ConfigLoader.Parse("{ // the id\n \"deviceId\": \"d\", /* more */ }").DeviceId);

    [Theory]
    [InlineData("windowSecond", new[] { "windowSeconds", "lineHysteresis" }, new[] { "windowSeconds" })]
    [InlineData("hots", new[] { "host", "port" }, new[] { "host" })]
    [InlineData("xyz", new[] { "host", "port" }, new string[0])]
    [InlineData("pass", new[] { "passwordFile", "passwordEnv", "port" }, new[] { "passwordEnv", "passwordFile" })]
    public void FieldSuggestion_FindsCloseNamesOnly(string name, string[] candidates, string[] expected) =>
        Assert.Equal(expected, FieldSuggestion.Closest(name, candidates));
}
