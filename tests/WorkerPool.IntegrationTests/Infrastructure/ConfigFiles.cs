using System.Text.Json;
using System.Text.Json.Nodes;

namespace WorkerPool.IntegrationTests.Infrastructure;

/// <summary>Writes test configs derived from the demo config, with its relative paths made absolute.</summary>
public static class ConfigFiles
{
    public static string DeriveFromDemo(TempDir dir, string name, Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(File.ReadAllText(Repo.DemoConfig), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();
        root["model"]!["manifest"] = Repo.Manifest;
        // Each test has its own outbox, and no broker unless it starts one.
        root["outbox"]!["path"] = dir.File("outbox.db");
        root["mqtt"]!["enabled"] = false;
        foreach (var camera in root["cameras"]!.AsArray())
            camera!["url"] = Path.GetFullPath(Path.Combine(Repo.Path("device-config"), camera["url"]!.GetValue<string>()));
        edit(root);
        string path = dir.File(name);
        File.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    /// <summary>The demo config as a live service against a test broker: 1 s windows, 5 fps, MQTT on the given port.</summary>
    public static string DeriveServiceConfig(TempDir dir, string name, int brokerPort, Action<JsonObject>? edit = null) => DeriveFromDemo(dir, name, c =>
    {
        c["counting"]!["windowSeconds"] = 1;
        c["cameras"]![0]!["fps"] = 5;
        c["mqtt"]!["enabled"] = true;
        c["mqtt"]!["port"] = brokerPort;
        edit?.Invoke(c);
    });

    public static JsonArray Workers(params int[] cores) =>
        [.. cores.Select(c => (JsonNode)new JsonObject { ["device"] = "cpu", ["cores"] = new JsonArray(c) })];
}
