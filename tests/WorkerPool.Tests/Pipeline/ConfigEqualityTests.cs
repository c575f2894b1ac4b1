using System.Reflection;
using WorkerPool.Config;
using WorkerPool.Pipeline;

namespace WorkerPool.Tests.Pipeline;

/// <summary>
/// The runner decides what a new config changes by these comparisons: equal settings must compare equal however they
/// were made (parsed twice, copied), and a change to any one setting must be seen, including one added later.
/// </summary>
public sealed class ConfigEqualityTests
{
    private const string Json = """
        {
          "deviceId": "dev",
          "pool": { "workers": [ { "device": "cpu", "cores": [0, 1] }, { "device": "cuda:0" } ], "queuePerCamera": 3 },
          "mqtt": { "host": "broker", "tls": { "enabled": true, "caFile": "ca.pem" } },
          "outbox": { "path": "data/o.db", "maxRecords": 50 },
          "statusLed": { "enabled": true, "line": 4 },
          "cameras": [ { "id": "door", "url": "rtsp://cam/1", "fps": 5, "lines": [ { "id": "l", "from": [0.5, 0], "to": [0.5, 1] } ] } ]
        }
        """;

    [Fact]
    public void SectionsParsedTwice_AreTheSame()
    {
        DeviceConfig a = ConfigLoader.Parse(Json), b = ConfigLoader.Parse(Json);
        Assert.True(ConfigEquality.SamePool(a.Pool, b.Pool));
        Assert.True(ConfigEquality.SameMqtt(a.Mqtt, b.Mqtt));
        Assert.True(ConfigEquality.SameOutbox(a.Outbox, b.Outbox));
        Assert.True(ConfigEquality.SameStatusLed(a.StatusLed, b.StatusLed));
        Assert.True(ConfigEquality.SameSource(a.Cameras[0], b.Cameras[0]));
    }

    [Fact]
    public void Null_EqualsOnlyNull()
    {
        Assert.True(ConfigEquality.SamePool(null, null));
        Assert.False(ConfigEquality.SamePool(new PoolOptions(), null));
        Assert.False(ConfigEquality.SameMqtt(new MqttOptions(), new MqttOptions { Tls = null! }));
        Assert.False(ConfigEquality.SameWorker(new WorkerOptions(), new WorkerOptions { Cores = null! }));
    }

    [Fact]
    public void Pool_AnySettingChanged_IsADifference() =>
        AssertEverySettingMatters<PoolOptions>(ConfigEquality.SamePool, 5);

    [Fact]
    public void Outbox_AnySettingChanged_IsADifference() =>
        AssertEverySettingMatters<OutboxOptions>(ConfigEquality.SameOutbox, 6);

    [Fact]
    public void Mqtt_AnySettingChanged_IsADifference() =>
        AssertEverySettingMatters<MqttOptions>(ConfigEquality.SameMqtt, 21);

    [Fact]
    public void Mqtt_EverySettingIsEitherConnectionOrReadAtStart() =>
        AssertEverySettingMatters<MqttOptions>((a, b) => ConfigEquality.SameMqttConnection(a, b) && ConfigEquality.SameMqttAtStart(a, b), 21);

    [Fact]
    public void StatusLed_AnySettingChanged_IsADifference() =>
        AssertEverySettingMatters<StatusLedOptions>(ConfigEquality.SameStatusLed, 4);

    [Fact]
    public void CameraSource_AnySettingButLinesAndZonesChanged_IsADifference() =>
        AssertEverySettingMatters<CameraOptions>(ConfigEquality.SameSource, 8, skip: ["Lines", "Zones"]);

    [Fact]
    public void Workers_SameCoresInAnotherOrderOrWorkersSwapped_AreDifferences()
    {
        // Order matters: ONNX Runtime's threads follow the core list, and worker i is slot i in the status.
        var a = ConfigLoader.Parse(Json).Pool;
        var b = ConfigLoader.Parse(Json).Pool;
        b.Workers[0].Cores = [1, 0];
        Assert.False(ConfigEquality.SamePool(a, b));
        var c = ConfigLoader.Parse(Json).Pool;
        c.Workers.Reverse();
        Assert.False(ConfigEquality.SamePool(a, c));
    }

    [Fact]
    public void CameraSource_LinesAndZonesChanged_IsTheSameSource()
    {
        var a = ConfigLoader.Parse(Json).Cameras[0];
        var b = ConfigLoader.Parse(Json).Cameras[0];
        b.Lines[0].From = [0.4, 0];
        b.Zones.Add(new ZoneOptions { Id = "z", Polygon = [[0, 0], [1, 0], [1, 1]] });
        Assert.True(ConfigEquality.SameSource(a, b));
    }

    /// <summary>
    /// Changes each setting of a fresh <typeparamref name="T"/> (found by reflection, nested sections and list items
    /// included) and checks that <paramref name="same"/> sees it; <paramref name="expected"/> guards the walk itself.
    /// </summary>
    private static void AssertEverySettingMatters<T>(Func<T, T, bool> same, int expected, string[]? skip = null) where T : class, new()
    {
        var changes = Changes(typeof(T), "", skip ?? []).ToList();
        var missed = new List<string>();
        foreach (var (path, change) in changes)
        {
            T a = new(), b = new();
            if (!same(a, b)) missed.Add("two defaults differ");
            change(b);
            if (same(a, b)) missed.Add(path);
        }
        Assert.True(missed.Count == 0, "changes not seen: " + string.Join(", ", missed));
        Assert.True(changes.Count >= expected, $"only {changes.Count} settings found: " + string.Join(", ", changes.Select(c => c.Path)));
    }

    private static IEnumerable<(string Path, Action<object> Change)> Changes(Type type, string prefix, string[] skip)
    {
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && !skip.Contains(p.Name)))
        {
            string path = prefix + p.Name;
            var t = p.PropertyType;
            if (t == typeof(string)) yield return (path, o => p.SetValue(o, (string?)p.GetValue(o) + "~"));
            else if (t == typeof(int)) yield return (path, o => p.SetValue(o, (int)p.GetValue(o)! + 1));
            else if (t == typeof(long)) yield return (path, o => p.SetValue(o, (long)p.GetValue(o)! + 1));
            else if (t == typeof(double)) yield return (path, o => p.SetValue(o, (double)p.GetValue(o)! + 0.5));
            else if (t == typeof(bool)) yield return (path, o => p.SetValue(o, !(bool)p.GetValue(o)!));
            else if (t == typeof(List<int>)) yield return (path + ".Add", o => ((List<int>)p.GetValue(o)!).Add(7));
            else if (t == typeof(List<WorkerOptions>))
            {
                yield return (path + ".Add", o => ((List<WorkerOptions>)p.GetValue(o)!).Add(new WorkerOptions()));
                foreach (var (inner, change) in Changes(typeof(WorkerOptions), path + "[0].", []))
                    yield return (inner, o => change(((List<WorkerOptions>)p.GetValue(o)!)[0]));
            }
            else if (t.IsClass && !t.IsGenericType && t.Namespace == typeof(DeviceConfig).Namespace)
            {
                foreach (var (inner, change) in Changes(t, path + ".", []))
                    yield return (inner, o => change(p.GetValue(o)!));
            }
            else throw new NotSupportedException($"{path} is a {t.Name}: teach this test, and ConfigEquality, how it changes");
        }
    }
}
