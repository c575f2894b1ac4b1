using System.Text.Json.Serialization.Metadata;
using System.Text.RegularExpressions;
using WorkerPool.Config;

namespace WorkerPool.Tests.Docs;

/// <summary>The README as an operator meets it: the two commands, then the operator path, and every config field.</summary>
public partial class ReadmeTests
{
    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "WorkerPool.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("WorkerPool.sln not found above the test binaries");
    }

    private static readonly string Readme = File.ReadAllText(Path.Combine(RepoRoot(), "README.md"));

    [GeneratedRegex(@"(?m)^## (.+)$")]
    private static partial Regex Heading();

    private static List<string> Headings() => Heading().Matches(Readme).Select(m => m.Groups[1].Value.Trim()).ToList();

    [Fact]
    public void Readme_OpensWithExactlyTheTwoCommands()
    {
        var lines = Readme.Split('\n');
        Assert.Equal("# WorkerPool", lines[0].Trim());
        int open = Array.FindIndex(lines, l => l.StartsWith("```", StringComparison.Ordinal));
        Assert.True(open is > 0 and < 4, "the commands come first");
        Assert.Equal(["deploy-scripts/demo.sh", "deploy-scripts/test.sh", "```"], lines[(open + 1)..(open + 4)].Select(l => l.Trim()));
    }

    [Fact]
    public void Readme_LeadsWithTheOperatorPath_AndLeavesDeveloperMaterialToDeveloping()
    {
        var headings = Headings();
        Assert.Equal("Contents", headings[0]);
        Assert.Equal("Your first device", headings[1]);
        Assert.Equal("Device config", headings[2]);
        Assert.Contains("Troubleshooting", headings);
        Assert.DoesNotContain("How data flows", headings);
        // The source-folder table and internal class names live in docs/DEVELOPING.md.
        Assert.DoesNotContain("| `src/WorkerPool.Core/", Readme, StringComparison.Ordinal);
        Assert.DoesNotContain("CountingPipeline", Readme, StringComparison.Ordinal);
        Assert.Contains("| `src/WorkerPool.Core/", File.ReadAllText(Path.Combine(RepoRoot(), "docs", "DEVELOPING.md")), StringComparison.Ordinal);
        foreach (string doc in new[] { "TELEMETRY", "PLACING", "FLEET", "JETSON", "BENCHMARKS", "DEVELOPING" })
            Assert.Contains($"(docs/{doc}.md)", Readme, StringComparison.Ordinal);
    }

    [Fact]
    public void Readme_ContentsLinkEverySection()
    {
        foreach (string heading in Headings().Skip(1))
        {
            string anchor = Regex.Replace(heading.ToLowerInvariant(), @"[^a-z0-9 \-]", "").Replace(' ', '-');
            Assert.Contains($"(#{anchor})", Readme, StringComparison.Ordinal);
        }
    }

    /// <summary>Every field a config may hold, as the README names it: <c>mqtt.tls.caFile</c>, <c>cameras[].lines[]</c>.</summary>
    private static IEnumerable<string> ConfigFields(JsonTypeInfo type, string prefix)
    {
        // Read-only properties are worked out (the data directory), not read from a config.
        foreach (var property in type.Properties.Where(p => p.Set is not null))
        {
            string path = prefix.Length == 0 ? property.Name : prefix + "." + property.Name;
            var info = ConfigJsonContext.Default.GetTypeInfo(property.PropertyType)!;
            if (info.Kind == JsonTypeInfoKind.Object)
            {
                foreach (string inner in ConfigFields(info, path)) yield return inner;
            }
            else if (info.Kind == JsonTypeInfoKind.Enumerable && info.ElementType is { } element
                && ConfigJsonContext.Default.GetTypeInfo(element) is { Kind: JsonTypeInfoKind.Object } item)
            {
                // An array of objects is one row (cameras[].lines[]) unless its items have rows of their own (cameras[].id).
                var inner = ConfigFields(item, path + "[]").ToList();
                yield return path + "[]";
                if (inner.Any(f => Readme.Contains($"`{f}`", StringComparison.Ordinal))) foreach (string f in inner) yield return f;
            }
            else yield return path;
        }
    }

    [Fact]
    public void Readme_DocumentsEveryConfigField()
    {
        var fields = ConfigFields(ConfigJsonContext.Default.DeviceConfig, "").ToList();
        Assert.Contains("counting.checkpointSeconds", fields);
        Assert.Contains("cameras[].lines[]", fields);
        var missing = fields.Where(f => !Readme.Contains($"`{f}`", StringComparison.Ordinal)
            && !(f.EndsWith("[]", StringComparison.Ordinal) && Readme.Contains($"`{f[..^2]}`", StringComparison.Ordinal))).ToList();
        Assert.True(missing.Count == 0, "not in the README's config tables: " + string.Join(", ", missing));
    }
}
