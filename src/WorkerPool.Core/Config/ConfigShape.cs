using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using WorkerPool.Contracts;

namespace WorkerPool.Config;

/// <summary>
/// Checks a parsed JSON document against the source-generated contract of the type it must become, before
/// System.Text.Json binds it, so that every unknown field and wrong type is named in the config's terms
/// (<c>unknown field counting.windowSecond; did you mean windowSeconds?</c>, <c>… is a string; expected a number</c>)
/// instead of .NET's (<c>System.Int32</c>, <c>could not be mapped to any .NET member</c>). Uses only the
/// <see cref="JsonTypeInfo"/> metadata, so it stays trim-safe.
/// </summary>
internal static class ConfigShape
{
    /// <summary>Errors reported at most: a file of the wrong shape altogether should not print pages.</summary>
    private const int MaxErrors = 20;

    /// <summary>Every unknown field and wrong type in <paramref name="root"/>, by JSON path (<c>$.cameras[0].url</c>).</summary>
    public static List<ConfigError> Check(JsonElement root, JsonTypeInfo info, string what)
    {
        var errors = new List<ConfigError>();
        Walk(root, info, "$", what, errors);
        return errors;
    }

    private static void Walk(JsonElement element, JsonTypeInfo info, string path, string what, List<ConfigError> errors)
    {
        if (errors.Count >= MaxErrors) return;
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        if (element.ValueKind == JsonValueKind.Null)
        {
            // Null is how a merge patch removes a field; only value types cannot take it.
            if (info.Type.IsValueType && Nullable.GetUnderlyingType(info.Type) is null)
                errors.Add(new(path, $"invalid {what} JSON: {Display(path)} is null; expected {Expected(info)}"));
            return;
        }
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                if (element.ValueKind != JsonValueKind.Object) { WrongType(element, info, path, what, errors); return; }
                foreach (var property in element.EnumerateObject())
                {
                    string child = path + "." + property.Name;
                    var known = Fields(info).FirstOrDefault(p => p.Name == property.Name);
                    if (known is null) { errors.Add(new(child, $"invalid {what} JSON: {Unknown(info, property.Name, Display(child))}")); continue; }
                    Walk(property.Value, Resolve(info, known.PropertyType), child, what, errors);
                    if (errors.Count >= MaxErrors) return;
                }
                return;
            case JsonTypeInfoKind.Dictionary:
                if (element.ValueKind != JsonValueKind.Object) { WrongType(element, info, path, what, errors); return; }
                foreach (var property in element.EnumerateObject())
                    Walk(property.Value, Resolve(info, info.ElementType!), path + "." + property.Name, what, errors);
                return;
            case JsonTypeInfoKind.Enumerable:
                if (element.ValueKind != JsonValueKind.Array) { WrongType(element, info, path, what, errors); return; }
                int i = 0;
                foreach (var item in element.EnumerateArray())
                    Walk(item, Resolve(info, info.ElementType!), $"{path}[{i++}]", what, errors);
                return;
            default:
                if (!Fits(element, type)) WrongType(element, info, path, what, errors);
                return;
        }
    }

    // [JsonIgnore] members (baseDirectory, dataDirectory) are in the metadata without getter or setter: not fields of the file.
    private static IEnumerable<JsonPropertyInfo> Fields(JsonTypeInfo info) => info.Properties.Where(p => p.Get is not null || p.Set is not null);

    // The options' own resolver (the source-generated context): metadata only, no reflection.
    private static JsonTypeInfo Resolve(JsonTypeInfo parent, Type type) => parent.Options.GetTypeInfo(type);

    private static bool Fits(JsonElement element, Type type)
    {
        if (type == typeof(string)) return element.ValueKind == JsonValueKind.String;
        if (type == typeof(bool)) return element.ValueKind is JsonValueKind.True or JsonValueKind.False;
        if (element.ValueKind != JsonValueKind.Number) return false;
        if (type == typeof(int)) return element.TryGetInt32(out _);
        if (type == typeof(long)) return element.TryGetInt64(out _);
        if (type == typeof(double)) return element.TryGetDouble(out _);
        return true; // a number for a type this check does not know: System.Text.Json decides
    }

    private static void WrongType(JsonElement element, JsonTypeInfo info, string path, string what, List<ConfigError> errors)
    {
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        // A number that is not a whole number, or too large, for an integer field: say which.
        string detail = element.ValueKind == JsonValueKind.Number && (type == typeof(int) || type == typeof(long))
            ? (element.TryGetDouble(out double d) && Math.Floor(d) == d ? " that is too large" : " with a fraction")
            : "";
        errors.Add(new(path, $"invalid {what} JSON: {Display(path)} is {Actual(element)}{detail}; expected {Expected(info)}"));
    }

    /// <summary>The path as the README names fields: no <c>$.</c> in front.</summary>
    private static string Display(string path) => path == "$" ? "the document" : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path[1..];

    private static string Actual(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "null",
    };

    /// <summary>What a field takes, in JSON's words: a number, a string, true or false, an array of numbers, an object.</summary>
    internal static string Expected(JsonTypeInfo info) => Article(Noun(info, plural: false));

    private static string Noun(JsonTypeInfo info, bool plural)
    {
        var type = Nullable.GetUnderlyingType(info.Type) ?? info.Type;
        return info.Kind switch
        {
            JsonTypeInfoKind.Object or JsonTypeInfoKind.Dictionary => plural ? "objects" : "object",
            JsonTypeInfoKind.Enumerable => (plural ? "arrays of " : "array of ") + Noun(Resolve(info, info.ElementType!), plural: true),
            _ when type == typeof(string) => plural ? "strings" : "string",
            _ when type == typeof(bool) => plural ? "true/false values" : "true or false",
            _ when type == typeof(int) || type == typeof(long) => plural ? "whole numbers" : "whole number",
            _ => plural ? "numbers" : "number",
        };
    }

    private static string Article(string noun) =>
        noun == "true or false" ? noun : ("aeiou".Contains(noun[0], StringComparison.Ordinal) ? "an " : "a ") + noun;

    private static string Unknown(JsonTypeInfo info, string name, string display)
    {
        var names = Fields(info).Select(p => p.Name).ToList();
        var close = FieldSuggestion.Closest(name, names);
        return close.Count switch
        {
            0 => $"unknown field {display} (known here: {string.Join(", ", names)})",
            1 when string.Equals(close[0], name, StringComparison.OrdinalIgnoreCase) => $"unknown field {display}; did you mean {close[0]}? (names are case-sensitive)",
            _ => $"unknown field {display}; did you mean {string.Join(" or ", close)}?",
        };
    }
}
