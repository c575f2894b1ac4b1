using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using WorkerPool.Contracts;

namespace WorkerPool.Software;

/// <summary>What the service asks its root helper to do.</summary>
public enum UpdateAction
{
    /// <summary>Download, verify and install a release (update.sh --manifest).</summary>
    Update,
    /// <summary>Switch back to the release before the current one (update.sh --rollback).</summary>
    Rollback,
    /// <summary>Wipe the device's keys, stop the service and keep it stopped.</summary>
    Decommission,
}

/// <summary>
/// The folder the unprivileged service and its root helper meet in (<see cref="Config.DeviceConfig.UpdateDirectory"/>):
/// the service writes <c>request</c>, which the helper's path unit waits for; the helper, and the service for what
/// it decides itself, write <c>state.json</c>. Both files are replaced with a rename, never written in place, so a
/// reader never sees half a file and a link planted in the folder is replaced rather than followed.
/// </summary>
public sealed class UpdateSpool(string directory)
{
    /// <summary>The folder.</summary>
    public string Directory { get; } = directory;

    /// <summary>The request file the helper's path unit watches.</summary>
    public string RequestPath => Path.Combine(Directory, "request");

    /// <summary>The state file.</summary>
    public string StatePath => Path.Combine(Directory, "state.json");

    /// <summary>
    /// Writes a request: <c>key=value</c> lines the helper reads with sed, so every value is checked to be one line of
    /// a plain alphabet here, and again by the helper, which trusts nothing the service wrote.
    /// </summary>
    public void WriteRequest(UpdateAction action, string? rollout = null, string? version = null, string? url = null, string? manifest = null, string? signature = null)
    {
        var text = new StringBuilder();
        text.Append("action=").Append(action switch { UpdateAction.Update => "update", UpdateAction.Rollback => "rollback", _ => "decommission" }).Append('\n');
        void Field(string key, string? value, Regex pattern)
        {
            if (value is null) return;
            if (!pattern.IsMatch(value)) throw new ArgumentException($"{key} is not a plain value", key);
            text.Append(key).Append('=').Append(value).Append('\n');
        }
        Field("rollout", rollout, SoftwareFields.Name());
        Field("version", version, SoftwareFields.Name());
        Field("url", url, SoftwareFields.Url());
        Field("manifest", manifest, SoftwareFields.Base64());
        Field("signature", signature, SoftwareFields.Base64());
        Replace(RequestPath, text.ToString());
    }

    /// <summary>True while a request waits for the helper (or the helper works on it).</summary>
    public bool RequestPending => File.Exists(RequestPath);

    /// <summary>Records a state the service decided itself (a refusal, a release already running).</summary>
    public void WriteState(SoftwareState state) =>
        Replace(StatePath, JsonSerializer.Serialize(state, ContractJsonContext.Default.SoftwareState) + "\n");

    /// <summary>The state file as it is now: null when there is none; an unreadable one reads as <c>failed</c>, saying so.</summary>
    public SoftwareState? ReadState(string running)
    {
        string text;
        try
        {
            if (!File.Exists(StatePath)) return null;
            var info = new FileInfo(StatePath);
            if (info.Length > 64 * 1024) return Unreadable(running, $"{StatePath} is {info.Length} bytes");
            text = File.ReadAllText(StatePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Unreadable(running, $"{StatePath}: {ex.Message}");
        }
        try
        {
            var state = JsonSerializer.Deserialize(text, ContractJsonContext.Default.SoftwareState);
            if (state is null || string.IsNullOrEmpty(state.State)) return Unreadable(running, $"{StatePath} holds no state");
            return state with { Running = running };
        }
        catch (JsonException ex)
        {
            return Unreadable(running, $"{StatePath} is not a state ({ex.Message})");
        }
    }

    private static SoftwareState Unreadable(string running, string why) => new("failed", null, running, null, "the update helper's state cannot be read: " + why, null);

    private void Replace(string path, string text)
    {
        System.IO.Directory.CreateDirectory(Directory);
        string tmp = Path.Combine(Directory, $".{Path.GetFileName(path)}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.tmp");
        File.WriteAllText(tmp, text);
        File.Move(tmp, path, overwrite: true);
    }
}
