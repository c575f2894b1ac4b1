using System.Text.Json;

namespace WorkerPool.Contracts;

/// <summary>
/// The canonical form signatures are computed over: the JSON value with every object's keys sorted (ordinal),
/// no insignificant white space, strings re-escaped by System.Text.Json's default encoder, and numbers exactly as
/// the sender wrote them. Key order and formatting therefore never break a signature; values always do.
/// </summary>
public static class CanonicalJson
{
    /// <summary>Canonical UTF-8 bytes of a JSON value.</summary>
    public static byte[] Bytes(JsonElement value)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
            Write(writer, value, depth: 0);
        return buffer.ToArray();
    }

    private static void Write(Utf8JsonWriter writer, JsonElement value, int depth)
    {
        if (depth > 64) throw new JsonException("JSON nested deeper than 64 levels");
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (var property in value.EnumerateObject().OrderBy(p => p.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    Write(writer, property.Value, depth + 1);
                }
                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (var item in value.EnumerateArray()) Write(writer, item, depth + 1);
                writer.WriteEndArray();
                break;
            case JsonValueKind.Number:
                writer.WriteRawValue(value.GetRawText(), skipInputValidation: true);
                break;
            default:
                value.WriteTo(writer);
                break;
        }
    }
}
