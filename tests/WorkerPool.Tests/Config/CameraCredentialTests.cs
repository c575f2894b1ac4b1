using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using WorkerPool.Capture;
using WorkerPool.Commands.Handlers;
using WorkerPool.Config;
using WorkerPool.Config.Validation;
using WorkerPool.Contracts;
using WorkerPool.Tests.Control;

namespace WorkerPool.Tests.Config;

/// <summary>
/// Camera passwords live in a file or an environment variable named by the camera, never in its URL: the URL with
/// a password is refused, the password goes into the URL FFmpeg opens and nowhere else, and get-config and every
/// line FFmpeg writes back are masked.
/// </summary>
public sealed class CameraCredentialTests : IDisposable
{
    private const string Secret = "s3cr:t@/pw";
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "camcred-" + Guid.NewGuid().ToString("N")[..8]);

    public CameraCredentialTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PasswordFile()
    {
        string path = Path.Combine(_dir, "cam.password");
        File.WriteAllText(path, Secret + "\nignored second line\n");
        return path;
    }

    private static DeviceConfig Config(Action<CameraOptions> edit)
    {
        var camera = new CameraOptions { Id = "door", Url = "rtsp://192.0.2.10:554/stream1" };
        edit(camera);
        return new DeviceConfig { DeviceId = "dev-1", Cameras = [camera] };
    }

    private static List<ConfigError> Errors(DeviceConfig config) => DeviceConfigValidator.Validate(config, checkModel: false);

    [Fact]
    public void RtspUrlWithAPassword_IsRefused_AskingToMoveItIntoTheNewFields_WithoutEchoingIt()
    {
        var error = Assert.Single(Errors(Config(c => c.Url = "rtsp://admin:hunter2@192.0.2.10/stream1")));
        Assert.Equal("cameras[0].url", error.Path);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
        Assert.Contains("rtsp://admin:***@192.0.2.10/stream1", error.Message, StringComparison.Ordinal);
        Assert.Contains("cameras[0].username", error.Message, StringComparison.Ordinal);
        Assert.Contains("cameras[0].passwordFile", error.Message, StringComparison.Ordinal);
        Assert.Contains("cameras[0].passwordEnv", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HttpUrlWithAnEmptyPassword_IsRefusedToo() =>
        Assert.Equal("cameras[0].url", Assert.Single(Errors(Config(c => c.Url = "http://admin:@cam/mjpeg"))).Path);

    [Fact]
    public void UnsupportedSchemeWithAPassword_DoesNotEchoThePassword() =>
        Assert.DoesNotContain("hunter2", Assert.Single(Errors(Config(c => c.Url = "ftp://u:hunter2@cam/x"))).Message, StringComparison.Ordinal);

    [Fact]
    public void UserNameOnlyInTheUrl_IsAccepted() => Assert.Empty(Errors(Config(c => c.Url = "rtsp://viewer@cam/stream")));

    [Fact]
    public void UsernameWithPasswordFile_IsAccepted()
    {
        string file = PasswordFile();
        Assert.Empty(Errors(Config(c => { c.Username = "admin"; c.PasswordFile = file; })));
    }

    [Fact]
    public void UsernameWithPasswordEnv_IsAccepted() =>
        Assert.Empty(Errors(Config(c => { c.Username = "admin"; c.PasswordEnv = "DOOR_CAMERA_PASSWORD"; })));

    [Fact]
    public void MissingPasswordFile_SaysWhatToWriteThere()
    {
        var error = Assert.Single(Errors(Config(c => { c.Username = "admin"; c.PasswordFile = "/nonexistent/cam.pw"; })));
        Assert.Equal("cameras[0].passwordFile", error.Path);
        Assert.Contains("does not exist: write the camera's password there (first line", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "f", "DOOR_PW", "cameras[0].username")]       // a password without a user name
    [InlineData("admin", "f", "DOOR_PW", "cameras[0].passwordEnv")] // both sources
    [InlineData("ad:min", null, null, "cameras[0].username")]        // ':' would end the user name in the URL
    [InlineData("admin", null, "not a name", "cameras[0].passwordEnv")]
    public void InconsistentCredentialFields_AreEachRefused(string? user, string? file, string? env, string path)
    {
        string? passwordFile = file is null ? null : PasswordFile();
        Assert.Contains(Errors(Config(c => { c.Username = user; c.PasswordFile = passwordFile; c.PasswordEnv = env; })), e => e.Path == path);
    }

    [Fact]
    public void UserNameBothInTheUrlAndTheField_IsRefused() =>
        Assert.Equal("cameras[0].url", Assert.Single(Errors(Config(c => { c.Url = "rtsp://viewer@cam/s"; c.Username = "admin"; c.PasswordEnv = "PW"; }))).Path);

    [Theory]
    [InlineData("usb:0")]
    [InlineData("clip.mp4")]
    public void CredentialsOnACameraThatIsNoStream_AreRefused(string url) =>
        Assert.Contains("rtsp:// and http(s):// cameras only", Assert.Single(Errors(Config(c => { c.Url = url; c.Username = "admin"; c.PasswordEnv = "PW"; }))).Message, StringComparison.Ordinal);

    [Fact]
    public void Load_RelativePasswordFile_ResolvesAgainstTheConfigFolder()
    {
        PasswordFile();
        string config = Path.Combine(_dir, "device.json");
        File.WriteAllText(config, """{ "cameras": [ { "id": "c", "url": "rtsp://cam/s", "username": "admin", "passwordFile": "cam.password" } ] }""");
        Assert.Equal(Path.Combine(_dir, "cam.password"), ConfigLoader.Load(config).Cameras[0].PasswordFile);
    }

    [Fact]
    public void UrlToOpen_HasTheUserAndThePasswordFromTheFile_PercentEncoded()
    {
        var camera = new CameraOptions { Id = "door", Url = "rtsp://cam:554/s?x=1", Username = "ad min", PasswordFile = PasswordFile() };
        string url = CameraCredentials.Of(camera).UrlToOpen(new CameraUri(SourceKind.Rtsp, camera.Url));
        Assert.Equal("rtsp://ad%20min:s3cr%3At%40%2Fpw@cam:554/s?x=1", url);
    }

    [Fact]
    public void UrlToOpen_ReplacesAUserNameTheUrlHad_AndLeavesCamerasWithoutCredentialsAlone()
    {
        var uri = new CameraUri(SourceKind.Http, "http://old@cam/mjpeg");
        Assert.Equal("http://admin:pw@cam/mjpeg", UrlUserInfo.With(uri.Location, "admin", "pw"));
        Assert.Equal("http://old@cam/mjpeg", CameraCredentials.Of(new CameraOptions { Url = uri.Location }).UrlToOpen(uri));
    }

    [Fact]
    public void UrlToOpen_PasswordEnvNotSet_FailsNamingTheVariableNotAValue()
    {
        var camera = new CameraOptions { Id = "door", Url = "rtsp://cam/s", Username = "admin", PasswordEnv = "WORKERPOOL_TEST_UNSET_" + Guid.NewGuid().ToString("N") };
        var ex = Assert.Throws<IOException>(() => CameraCredentials.Of(camera));
        Assert.Contains(camera.PasswordEnv, ex.Message, StringComparison.Ordinal);
        Assert.Contains("is not set", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Redact_MasksThePasswordAsWrittenAndEncoded_AndAnyUrlPassword()
    {
        var credentials = CameraCredentials.Of(new CameraOptions { Id = "door", Username = "admin", PasswordFile = PasswordFile() });
        string line = $"[rtsp @ 0x5] rtsp://admin:{Uri.EscapeDataString(Secret)}@cam/s: 401 ({Secret}); also rtsp://x:other@h/";
        string redacted = credentials.Redact(line);
        Assert.DoesNotContain(Secret, redacted, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(Secret), redacted, StringComparison.Ordinal);
        Assert.DoesNotContain("other", redacted, StringComparison.Ordinal);
        Assert.Contains("rtsp://admin:***@cam/s: 401", redacted, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void FfmpegSource_OpensTheUrlWithTheCredentials_AndMasksThemInWhatFfmpegSaid()
    {
        // A stand-in for ffmpeg: keeps its arguments and fails the way a camera refusing the login does, naming its input.
        string args = Path.Combine(_dir, "args.txt");
        string fake = Path.Combine(_dir, "ffmpeg");
        File.WriteAllText(fake, $$"""
            #!/bin/sh
            printf '%s\n' "$@" > '{{args}}'
            while [ $# -gt 0 ]; do
              if [ "$1" = "-i" ]; then echo "[rtsp @ 0x55] method DESCRIBE failed: 401 Unauthorized" >&2; echo "$2: Server returned 401 Unauthorized (authorization failed)" >&2; fi
              shift
            done
            exit 1
            """.Replace("\r", "", StringComparison.Ordinal));
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var camera = new CameraOptions { Id = "door", Url = "rtsp://cam/stream1", Username = "admin", PasswordFile = PasswordFile(), StallTimeoutSeconds = 30 };

        using var source = new FfmpegSource(new CameraUri(SourceKind.Rtsp, camera.Url), camera, new FakeTimeProvider(), fake);
        var error = Assert.Throws<IOException>(() => source.Read(new OpenCvSharp.Mat()));

        Assert.Contains($"rtsp://admin:{Uri.EscapeDataString(Secret)}@cam/stream1", File.ReadAllLines(args));
        Assert.Contains("rtsp://admin:***@cam/stream1: Server returned 401 Unauthorized", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Uri.EscapeDataString(Secret), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(FfmpegSource.Arguments(new CameraUri(SourceKind.Rtsp, camera.Url), camera, 640, 360), a => a.Contains("s3cr", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetConfig_ShowsWhereThePasswordIs_NeverThePassword()
    {
        var config = Config(c => { c.Username = "admin"; c.PasswordFile = PasswordFile(); });
        var reply = (await new GetConfigCommand(new FakeDeviceControl(config)).RunAsync([]))!;
        string json = reply.ToJsonString();
        Assert.DoesNotContain("s3cr", json, StringComparison.Ordinal);
        Assert.Equal(Path.Combine(_dir, "cam.password"), reply["cameras"]![0]!["passwordFile"]!.GetValue<string>());
        Assert.Equal("admin", reply["cameras"]![0]!["username"]!.GetValue<string>());
    }

    [Fact]
    public async Task GetConfig_MasksAUrlPasswordThatGotPastTheValidator()
    {
        var config = Config(c => c.Url = "rtsp://admin:hunter2@cam/s");
        config.Mqtt.Host = "mqtt://dev:hunter3@broker";
        JsonNode reply = (await new GetConfigCommand(new FakeDeviceControl(config)).RunAsync([]))!;
        Assert.Equal("rtsp://admin:***@cam/s", reply["cameras"]![0]!["url"]!.GetValue<string>());
        Assert.DoesNotContain("hunter", reply.ToJsonString(), StringComparison.Ordinal);
    }
}
