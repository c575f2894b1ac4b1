using System.Text.Json;

namespace WorkerPool.IntegrationTests.Infrastructure;

/// <summary>
/// Checks a payload against one of docs/schemas with the JSON Schema keywords those files use (type, required,
/// properties, additionalProperties, items, enum, minimum, maximum, $ref to $defs). Returns every violation.
/// </summary>
public static class SchemaCheck
{
    public static List<string> Validate(string schemaFile, JsonElement payload)
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(Repo.Path("docs", "schemas", schemaFile)));
        var errors = new List<string>();
        Check(schema.RootElement, schema.RootElement, payload, "$", errors);
        return errors;
    }

    private static void Check(JsonElement root, JsonElement schema, JsonElement value, string path, List<string> errors)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            string name = reference.GetString()!.Split('/')[^1];
            Check(root, root.GetProperty("$defs").GetProperty(name), value, path, errors);
            return;
        }
        if (schema.TryGetProperty("type", out var type))
        {
            var allowed = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()!).ToArray() : [type.GetString()!];
            if (!allowed.Any(t => Is(value, t))) { errors.Add($"{path}: {value.ValueKind} is not {string.Join("|", allowed)}"); return; }
        }
        if (schema.TryGetProperty("enum", out var options) && !options.EnumerateArray().Any(o => o.ToString() == value.ToString()))
            errors.Add($"{path}: '{value}' is not one of {options}");
        if (value.ValueKind == JsonValueKind.Number)
        {
            if (schema.TryGetProperty("minimum", out var min) && value.GetDouble() < min.GetDouble()) errors.Add($"{path}: below {min}");
            if (schema.TryGetProperty("maximum", out var max) && value.GetDouble() > max.GetDouble()) errors.Add($"{path}: above {max}");
        }
        if (value.ValueKind == JsonValueKind.Object)
        {
            if (schema.TryGetProperty("required", out var required))
                foreach (var r in required.EnumerateArray())
                    if (!value.TryGetProperty(r.GetString()!, out _)) errors.Add($"{path}: missing '{r}'");
            schema.TryGetProperty("properties", out var props);
            schema.TryGetProperty("additionalProperties", out var extra);
            foreach (var p in value.EnumerateObject())
            {
                if (props.ValueKind == JsonValueKind.Object && props.TryGetProperty(p.Name, out var sub)) Check(root, sub, p.Value, $"{path}.{p.Name}", errors);
                else if (extra.ValueKind == JsonValueKind.False) errors.Add($"{path}: unexpected '{p.Name}'");
                else if (extra.ValueKind == JsonValueKind.Object) Check(root, extra, p.Value, $"{path}.{p.Name}", errors);
            }
        }
        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            int i = 0;
            foreach (var item in value.EnumerateArray()) Check(root, items, item, $"{path}[{i++}]", errors);
        }
    }

    private static bool Is(JsonElement v, string type) => type switch
    {
        "object" => v.ValueKind == JsonValueKind.Object,
        "array" => v.ValueKind == JsonValueKind.Array,
        "string" => v.ValueKind == JsonValueKind.String,
        "number" => v.ValueKind == JsonValueKind.Number,
        "integer" => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out _),
        "boolean" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => v.ValueKind == JsonValueKind.Null,
        _ => false,
    };
}
