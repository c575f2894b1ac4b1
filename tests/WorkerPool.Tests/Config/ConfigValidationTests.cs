using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Contracts;
using WorkerPool.Inference;

namespace WorkerPool.Tests.Config;

public class ConfigValidationTests
{
    private const string Valid = """
        {
          "deviceId": "dev-1",
          "pool": { "workers": [ { "device": "cpu", "cores": [0] } ] },
          "cameras": [
            {
              "id": "cam1", "url": "video.avi",
              "lines": [ { "id": "door", "from": [0.5, 0], "to": [0.5, 1] } ],
              "zones": [ { "id": "lobby", "polygon": [[0, 0], [1, 0], [1, 1]] } ]
            }
          ]
        }
        """;

    private static List<ConfigError> Errors(string json) => DeviceConfigValidator.Validate(ConfigLoader.Parse(json), checkModel: false);

    private static void AssertOneError(string json, string path, string messagePart)
    {
        var errors = Errors(json);
        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.Contains(messagePart, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SampleConfig_HasNoErrors() => Assert.Empty(Errors(Valid));

    [Fact]
    public void Validate_ResumeAboveThrottle_IsRejected() =>
        AssertOneError(Valid.Replace("\"deviceId\": \"dev-1\",", "\"deviceId\": \"dev-1\", \"thermal\": { \"throttleCelsius\": 80, \"resumeCelsius\": 85 },"),
            "thermal.resumeCelsius", "below throttleCelsius");

    [Fact]
    public void Validate_EnabledLedWithoutALine_IsRejected() =>
        AssertOneError(Valid.Replace("\"deviceId\": \"dev-1\",", "\"deviceId\": \"dev-1\", \"statusLed\": { \"enabled\": true, \"chip\": 0 },"),
            "statusLed.line", "must be set");

    [Fact]
    public void Validate_TooShortStall_IsRejected() =>
        AssertOneError(Valid.Replace("\"deviceId\": \"dev-1\",", "\"deviceId\": \"dev-1\", \"health\": { \"stallSeconds\": 1 },"),
            "health.stallSeconds", "between 5 and 3600");

    [Fact]
    public void Validate_CameraIdsDifferingOnlyInCase_AreRefused_TheOutboxWouldGiveThemOneSeqSeries() =>
        AssertOneError(Valid.Replace("\"cameras\": [", "\"cameras\": [ { \"id\": \"CAM1\", \"url\": \"video.avi\" },"),
            "cameras[1].id", "differ in more than case");

    [Fact]
    public void Validate_CheckpointSecondsOutOfRange_SaysWhatFits() =>
        AssertOneError(Valid.Replace("\"deviceId\": \"dev-1\",", "\"deviceId\": \"dev-1\", \"counting\": { \"checkpointSeconds\": 90 },"),
            "counting.checkpointSeconds", "between 0 (no checkpoints) and 60");

    [Fact]
    public void Validate_LinePointOutsideUnitSquare_NamesThePoint() =>
        AssertOneError(Valid.Replace("\"to\": [0.5, 1]", "\"to\": [0.5, 1.2]"), "cameras[0].lines[0].to", "between 0 and 1");

    [Fact]
    public void Validate_ZeroLengthLine_IsRejected() =>
        AssertOneError(Valid.Replace("\"to\": [0.5, 1]", "\"to\": [0.5, 0]"), "cameras[0].lines[0]", "zero length");

    [Fact]
    public void Validate_PolygonUnderThreePoints_IsRejected() =>
        AssertOneError(Valid.Replace("[[0, 0], [1, 0], [1, 1]]", "[[0, 0], [1, 0]]"), "cameras[0].zones[0].polygon", "at least 3 points");

    [Fact]
    public void Validate_SelfIntersectingPolygon_IsRejected() =>
        AssertOneError(Valid.Replace("[[0, 0], [1, 0], [1, 1]]", "[[0, 0], [1, 1], [1, 0], [0, 1]]"), "cameras[0].zones[0].polygon", "self-intersecting");

    [Fact]
    public void Validate_DuplicateLineAndZoneId_IsRejected() =>
        AssertOneError(Valid.Replace("\"id\": \"lobby\"", "\"id\": \"door\""), "cameras[0].zones[0].id", "duplicate");

    [Fact]
    public void Validate_DuplicateCameraId_IsRejected()
    {
        var config = ConfigLoader.Parse(Valid);
        config.Cameras.Add(new CameraOptions { Id = "cam1", Url = "other.avi" });
        var error = Assert.Single(DeviceConfigValidator.Validate(config, checkModel: false));
        Assert.Equal("cameras[1].id", error.Path);
    }

    [Fact]
    public void Validate_WorkerCoreTheMachineLacks_IsRejected() =>
        AssertOneError(Valid.Replace("\"cores\": [0]", "\"cores\": [4095]"), "pool.workers[0].cores[0]", "not available on this machine");

    [Fact]
    public void Validate_CoreSharedByTwoWorkers_IsRejected() =>
        AssertOneError(Valid.Replace("\"workers\": [ { \"device\": \"cpu\", \"cores\": [0] } ]",
            "\"workers\": [ { \"device\": \"cpu\", \"cores\": [0] }, { \"device\": \"cpu\", \"cores\": [0] } ]"),
            "pool.workers[1].cores[0]", "already used by pool.workers[0]");

    [Fact]
    public void Validate_UnknownDevice_IsRejected() =>
        AssertOneError(Valid.Replace("\"device\": \"cpu\"", "\"device\": \"npu:0\""), "pool.workers[0].device", "unknown device");

    [Fact]
    public void Validate_ManyProblems_AreAllReportedAtOnce()
    {
        string json = Valid.Replace("\"deviceId\": \"dev-1\"", "\"deviceId\": \"bad id!\"")
            .Replace("\"device\": \"cpu\"", "\"device\": \"gpu\"")
            .Replace("\"url\": \"video.avi\"", "\"url\": \"ftp://x\"");
        var paths = Errors(json).Select(e => e.Path).ToArray();
        Assert.Equal(["deviceId", "pool.workers[0].device", "cameras[0].url"], paths);
    }

    [Fact]
    public void Validate_BadMqttAndOutboxSettings_AreEachNamed()
    {
        string json = Valid.Replace("\"deviceId\": \"dev-1\",", """
            "deviceId": "dev-1",
            "mqtt": { "port": 70000, "topicPrefix": "fleet/#", "keepAliveSeconds": 0, "passwordFile": "/nonexistent/pw",
                      "tls": { "enabled": true, "certFile": "/nonexistent/c.pem" } },
            "outbox": { "path": "", "maxRecords": 0 },
            """);
        var paths = Errors(json).Select(e => e.Path).ToHashSet();
        Assert.Superset(new HashSet<string> { "mqtt.port", "mqtt.topicPrefix", "mqtt.keepAliveSeconds", "mqtt.passwordFile",
            "mqtt.tls.certFile", "mqtt.tls.keyFile", "outbox.path", "outbox.maxRecords" }, paths);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("87601")]
    public void Validate_ArchiveHoursOutOfRange_IsRejected(string hours) =>
        AssertOneError(Valid.Replace("\"deviceId\": \"dev-1\",", $"\"deviceId\": \"dev-1\", \"outbox\": {{ \"archiveHours\": {hours} }},"),
            "outbox.archiveHours", "between 0 (no archive) and 87600");

    [Theory]
    [InlineData("0")]
    [InlineData("168")]
    [InlineData("0.5")]
    public void Validate_ArchiveHoursZeroOrWithinRange_IsAccepted(string hours) =>
        Assert.Empty(Errors(Valid.Replace("\"deviceId\": \"dev-1\",", $"\"deviceId\": \"dev-1\", \"outbox\": {{ \"archiveHours\": {hours} }},")));

    [Fact]
    public void Validate_MqttDisabled_SkipsBrokerSettings() =>
        Assert.Empty(Errors(Valid.Replace("\"deviceId\": \"dev-1\",", "\"deviceId\": \"dev-1\", \"mqtt\": { \"enabled\": false, \"port\": 0 },")));

    [Fact]
    public void Parse_WrongType_NamesTheJsonPath()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Valid.Replace("\"cores\": [0]", "\"cores\": \"zero\"")));
        Assert.Equal("$.pool.workers[0].cores", Assert.Single(ex.Errors).Path);
    }

    [Fact]
    public void Parse_UnknownField_IsRejectedSoTyposAreNotIgnored()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse(Valid.Replace("\"deviceId\"", "\"windowSecs\": 5, \"deviceId\"")));
        Assert.Contains("windowSecs", Assert.Single(ex.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_BrokenJson_IsAConfigErrorNotACrash()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Parse("{ \"deviceId\": "));
        Assert.Contains("invalid config JSON", Assert.Single(ex.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingFile_SaysSo()
    {
        var ex = Assert.Throws<ConfigException>(() => ConfigLoader.Load("/nonexistent/device.json"));
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("rtsp://cam/stream", SourceKind.Rtsp, "rtsp://cam/stream")]
    [InlineData("http://cam/mjpeg", SourceKind.Http, "http://cam/mjpeg")]
    [InlineData("usb:2", SourceKind.Usb, "/dev/video2")]
    [InlineData("/dev/video0", SourceKind.Usb, "/dev/video0")]
    [InlineData("file:///data/a%20b.avi", SourceKind.File, "/data/a b.avi")]
    [InlineData("clips/a.mp4", SourceKind.File, "clips/a.mp4")]
    public void CameraUri_KnownForms_Parse(string url, SourceKind kind, string location)
    {
        Assert.True(CameraUri.TryParse(url, out var uri, out _));
        Assert.Equal(new CameraUri(kind, location), uri);
    }

    [Theory]
    [InlineData("")]
    [InlineData("usb:x")]
    [InlineData("ftp://host/file")]
    public void CameraUri_BadForms_AreRejectedWithAReason(string url)
    {
        Assert.False(CameraUri.TryParse(url, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void FfmpegArguments_RtspCamera_UsesTcpTimeoutFpsAndScale()
    {
        var camera = new CameraOptions { Id = "c", Url = "rtsp://h/s", Fps = 5, StallTimeoutSeconds = 4 };
        var args = FfmpegSource.Arguments(new CameraUri(SourceKind.Rtsp, "rtsp://h/s"), camera, 640, 360).ToArray();
        Assert.Equal("tcp", args[Array.IndexOf(args, "-rtsp_transport") + 1]);
        Assert.Equal("4000000", args[Array.IndexOf(args, "-timeout") + 1]);
        Assert.Equal("fps=5,scale=640:360", args[Array.IndexOf(args, "-vf") + 1]);
        Assert.Equal("pipe:1", args[^1]);
    }
}

/// <summary>Caps that keep one payload from asking for thousands of cameras or an O(n²) polygon check.</summary>
public class ConfigLimitTests
{
    private static DeviceConfig Config(int cameras = 1, int lines = 1, int zones = 1, int points = 3)
    {
        var config = new DeviceConfig { DeviceId = "dev-1", Pool = new PoolOptions { Workers = [new WorkerOptions()] } };
        for (int c = 0; c < cameras; c++)
        {
            var camera = new CameraOptions { Id = $"cam{c}", Url = "video.avi" };
            for (int l = 0; l < lines; l++) camera.Lines.Add(new LineOptions { Id = $"l{l}", From = [0.5, 0], To = [0.5, 1] });
            for (int z = 0; z < zones; z++)
            {
                // A convex polygon: points on a circle, never self-intersecting.
                var polygon = Enumerable.Range(0, points).Select(p => new[] { 0.5 + 0.4 * Math.Cos(2 * Math.PI * p / points), 0.5 + 0.4 * Math.Sin(2 * Math.PI * p / points) }).ToList();
                camera.Zones.Add(new ZoneOptions { Id = $"z{z}", Polygon = polygon });
            }
            config.Cameras.Add(camera);
        }
        return config;
    }

    private static ConfigError OneError(DeviceConfig config) => Assert.Single(DeviceConfigValidator.Validate(config, checkModel: false));

    [Fact]
    public void AtTheLimits_IsValid() =>
        Assert.Empty(DeviceConfigValidator.Validate(Config(cameras: 16, lines: 64, zones: 64, points: 64), checkModel: false));

    [Fact]
    public void SeventeenCameras_AreRefusedWithOneError()
    {
        var error = OneError(Config(cameras: 17));
        Assert.Equal(("cameras", "at most 16 cameras, has 17"), (error.Path, error.Message));
    }

    [Fact]
    public void SevenThousandCameras_AreRefusedWithOneError() => Assert.Equal("cameras", OneError(Config(cameras: 7000)).Path);

    [Fact]
    public void TooManyLinesOrZones_AreRefused()
    {
        Assert.Equal(("cameras[0].lines", "at most 64 lines per camera, has 65"), (OneError(Config(lines: 65)).Path, OneError(Config(lines: 65)).Message));
        Assert.Equal(("cameras[0].zones", "at most 64 zones per camera, has 65"), (OneError(Config(zones: 65)).Path, OneError(Config(zones: 65)).Message));
    }

    [Fact]
    public void PolygonOfFourteenThousandPoints_IsRefusedWithoutCheckingItsShape()
    {
        var error = OneError(Config(points: 14_000));
        Assert.Equal(("cameras[0].zones[0].polygon", "at most 64 points, has 14000"), (error.Path, error.Message));
    }
}
