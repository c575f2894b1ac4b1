using System.Net;
using System.Net.Sockets;
using WorkerPool.Fleet;
using WorkerPool.Fleet.Operator;

namespace WorkerPool.Tests.Fleet;

public sealed class SnapshotVerbTests : IDisposable
{
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3];
    private readonly string _dir = Directory.CreateTempSubdirectory("snapshot-verb-").FullName;

    [Fact]
    public void Reply_WithAJpeg_GivesItsBytesAndSize()
    {
        var picture = SnapshotReply.Parse($$$"""{"ok":true,"result":{"camera":"vtest","contentType":"image/jpeg","width":768,"height":576,"jpeg":"{{{Convert.ToBase64String(Jpeg)}}}"}}""", out string? error);
        Assert.Null(error);
        Assert.Equal(Jpeg, picture!.Jpeg);
        Assert.Equal((768, 576), (picture.Width, picture.Height));
    }

    [Theory]
    [InlineData("""{"ok":false,"error":"no camera 'dor' (this device has: door)"}""", "no camera 'dor' (this device has: door)")]
    [InlineData("""{"ok":false}""", "refused, without a reason")]
    [InlineData("""{"ok":true,"result":{"width":1}}""", "the reply carries no picture")]
    [InlineData("""{"ok":true,"result":{"jpeg":"not base64!"}}""", "the reply's picture is not base64")]
    [InlineData("""{"ok":true,"result":{"jpeg":"iVBORw0KGgo="}}""", "the reply's picture is not a JPEG")]
    [InlineData("""{"pong":true}""", "the reply is not a command reply")]
    [InlineData("""{ nope""", "the reply is not JSON")]
    public void Reply_WithoutAJpeg_SaysWhy(string reply, string reason)
    {
        Assert.Null(SnapshotReply.Parse(reply, out string? error));
        Assert.StartsWith(reason, error, StringComparison.Ordinal);
    }

    private static Task<int> RunAsync(params string[] args) => Cli.Build().Parse(["snapshot", "--device", "d1", "--camera", "cam", .. args]).InvokeAsync();

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    [Fact]
    public async Task OutInAFolderThatDoesNotExist_ExitsInvalidInputBeforeAskingTheDevice()
    {
        // Nothing listens on the broker port: an exit 2 (not 1) shows that the file was checked first.
        Assert.Equal(ExitCodes.InvalidInput, await RunAsync("--out", Path.Combine(_dir, "missing", "frame.jpg"), "--broker", $"127.0.0.1:{ClosedPort()}"));
        Assert.Equal(ExitCodes.InvalidInput, await RunAsync("--out", _dir, "--broker", $"127.0.0.1:{ClosedPort()}"));
    }

    [Fact]
    public async Task BrokerThatCannotBeReached_ExitsFailureAndLeavesNoFile()
    {
        string output = Path.Combine(_dir, "frame.jpg");
        Assert.Equal(ExitCodes.Failure, await RunAsync("--out", output, "--broker", $"127.0.0.1:{ClosedPort()}"));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void MissingCameraOrOut_IsAParseError()
    {
        var parsed = Cli.Build().Parse(["snapshot", "--device", "d1"]);
        Assert.Contains(parsed.Errors, e => e.Message.Contains("--camera", StringComparison.Ordinal));
        Assert.Contains(parsed.Errors, e => e.Message.Contains("--out", StringComparison.Ordinal));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
