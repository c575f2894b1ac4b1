using System.Text.Json.Nodes;

namespace WorkerPool.RemoteConfig;

/// <summary>
/// JSON Merge Patch (RFC 7386) on config trees: objects merge field by field, recursively; any other value,
/// arrays included, replaces what was there; <c>null</c> removes the field so it returns to its default.
/// So <c>{"cameras": [...]}</c> replaces the whole camera list, and <c>{"counting": {"windowSeconds": 30}}</c>
/// changes one field and keeps the rest.
/// </summary>
public static class JsonMergePatch
{
    /// <summary>Applies <paramref name="patch"/> to a deep copy of <paramref name="target"/> and returns the result.</summary>
    public static JsonObject Apply(JsonObject target, JsonObject patch)
    {
        var result = (JsonObject)target.DeepClone();
        Merge(result, patch);
        return result;
    }

    private static void Merge(JsonObject target, JsonObject patch)
    {
        foreach (var (name, value) in patch)
        {
            if (value is null) target.Remove(name);
            else if (value is JsonObject child && target[name] is JsonObject existing) Merge(existing, child);
            else target[name] = value.DeepClone();
        }
    }
}
