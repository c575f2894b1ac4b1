using System.CommandLine;
using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace WorkerPool.Fleet.Operator;

/// <summary>
/// <c>snapshot</c>: asks a device for a camera's next frame with its lines, zones and tracks drawn (the device's
/// <c>snapshot</c> command) and writes the JPEG to a file, to check where lines fall without a video.
/// </summary>
internal static class SnapshotVerb
{
    /// <summary>The verb with its own options; the caller adds the broker, device, key and timeout options that <paramref name="target"/> reads.</summary>
    public static Command Build(Func<ParseResult, OperatorTarget> target)
    {
        var camera = new Option<string>("--camera") { Description = "Camera id", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "JPEG file to write (replaced when it exists)", Required = true };
        var command = new Command("snapshot", "Save a camera's current frame, with its lines (IN/OUT sides), zones and tracks drawn, as a JPEG") { camera, output };
        command.SetAction((r, token) => RunAsync(target(r), r.GetValue(camera)!, r.GetValue(output)!, token));
        return command;
    }

    private static async Task<int> RunAsync(OperatorTarget t, string camera, FileInfo output, CancellationToken token)
    {
        // The file is opened before the device is asked: a path that cannot be written fails at once, not after the
        // round trip. The picture goes to a side file moved over --out at the end, so a failure leaves no half file.
        string part = output.FullName + ".part";
        FileStream file;
        try
        {
            if (Directory.Exists(output.FullName)) throw new IOException("it is a folder");
            file = new FileStream(part, FileMode.Create, FileAccess.Write, FileShare.None);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return await FailAsync($"cannot write {output.FullName}: {ex.Message}", ExitCodes.InvalidInput).ConfigureAwait(false);
        }
        try
        {
            var (code, picture) = await FetchAsync(t, camera, token).ConfigureAwait(false);
            if (picture is null) return code;
            await file.WriteAsync(picture.Jpeg, token).ConfigureAwait(false);
            await file.DisposeAsync().ConfigureAwait(false);
            File.Move(part, output.FullName, overwrite: true);
            Console.WriteLine($"{output.FullName}: camera '{camera}' of {t.Device}, {picture.Width}x{picture.Height} JPEG, {picture.Jpeg.Length} bytes");
            return ExitCodes.Ok;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return await FailAsync($"cannot write {output.FullName}: {ex.Message}", ExitCodes.Failure).ConfigureAwait(false);
        }
        finally
        {
            await file.DisposeAsync().ConfigureAwait(false);
            File.Delete(part); // gone already after the move; no error when missing
        }
    }

    /// <summary>Asks the device for the picture; null with the exit code when there is none (the reason is on stderr).</summary>
    private static async Task<(int Code, SnapshotReply? Picture)> FetchAsync(OperatorTarget t, string camera, CancellationToken token)
    {
        string? reply;
        try { reply = await DeviceCommand.SendAsync(t, "snapshot", new JsonObject { ["camera"] = camera }, token).ConfigureAwait(false); }
        catch (Exception ex) when (ex is ArgumentException or IOException or UnauthorizedAccessException or CryptographicException)
        {
            // The signing key, or a TLS file, is missing or not one: nothing was sent.
            return (await FailAsync(ex.Message, ExitCodes.InvalidInput).ConfigureAwait(false), null);
        }
        catch (MQTTnet.Exceptions.MqttCommunicationException ex)
        {
            return (await FailAsync($"cannot reach the broker at {t.Broker.Host}:{t.Broker.Port}: {ex.Message}", ExitCodes.Failure).ConfigureAwait(false), null);
        }
        if (reply is null)
            return (await FailAsync($"no reply from {t.Device} within {t.Timeout.TotalSeconds:0} s (is it online, and is {t.Device} its id?)", ExitCodes.Failure).ConfigureAwait(false), null);
        var picture = SnapshotReply.Parse(reply, out string? error);
        if (picture is null) return (await FailAsync($"{t.Device} sent no snapshot of camera '{camera}': {error}", ExitCodes.Failure).ConfigureAwait(false), null);
        return (ExitCodes.Ok, picture);
    }

    private static async Task<int> FailAsync(string message, int code)
    {
        await Console.Error.WriteLineAsync("snapshot: " + message).ConfigureAwait(false);
        return code;
    }
}
