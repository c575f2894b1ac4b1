using System.Text.Json;
using WorkerPool.IntegrationTests.Infrastructure;

namespace WorkerPool.IntegrationTests.Messaging;

/// <summary>docs/TELEMETRY.md is the consumer's contract: every field a payload schema names is explained there.</summary>
public sealed class TelemetryDocTests
{
    [Theory]
    [InlineData("count-record.schema.json")]
    [InlineData("heartbeat.schema.json")]
    [InlineData("status.schema.json")]
    [InlineData("config-reported.schema.json")]
    [InlineData("software.schema.json")]
    [InlineData("software-desired.schema.json")]
    public void EveryFieldOfTheSchema_IsNamedInTelemetryMd(string schemaFile)
    {
        string doc = File.ReadAllText(Repo.Path("docs", "TELEMETRY.md"));
        using var schema = JsonDocument.Parse(File.ReadAllText(Repo.Path("docs", "schemas", schemaFile)));
        var fields = new SortedSet<string>(StringComparer.Ordinal);
        Collect(schema.RootElement, fields);

        Assert.NotEmpty(fields);
        var missing = fields.Where(f => !doc.Contains($"`{f}`", StringComparison.Ordinal)).ToList();
        Assert.True(missing.Count == 0, $"{schemaFile}: not named (in backticks) in docs/TELEMETRY.md: {string.Join(", ", missing)}");
    }

    [Theory]
    [InlineData("docs/TELEMETRY.md")]
    [InlineData("docs/PLACING.md")]
    [InlineData("README.md")]
    public void TheInDirection_IsStatedAsTheCodeCountsIt_RightToLeftStandingOnFromFacingTo(string file)
    {
        // TELEMETRY.md once said "from the left ... to its right", against its own example and LineCounter
        // (RightHandRuleTests hold the code to the rule stated here).
        string doc = File.ReadAllText(Repo.Path(file.Split('/')));
        Assert.Contains("from your right to your left", doc, StringComparison.Ordinal);
        Assert.DoesNotContain("from the left of the line", doc, StringComparison.Ordinal);
    }

    /// <summary>Every property name declared anywhere in the schema: nested objects, array items, $defs.</summary>
    private static void Collect(JsonElement node, SortedSet<string> into)
    {
        if (node.ValueKind != JsonValueKind.Object) return;
        if (node.TryGetProperty("properties", out var properties))
            foreach (var p in properties.EnumerateObject())
            {
                into.Add(p.Name);
                Collect(p.Value, into);
            }
        foreach (string key in new[] { "items", "additionalProperties" })
            if (node.TryGetProperty(key, out var sub)) Collect(sub, into);
        if (node.TryGetProperty("$defs", out var defs))
            foreach (var d in defs.EnumerateObject()) Collect(d.Value, into);
    }
}
