using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using MQTTnet;
using MQTTnet.Protocol;
using WorkerPool.Contracts;
using WorkerPool.Fleet.Broker;

namespace WorkerPool.Fleet.Rollout;

/// <summary>What a rollout is asked to do.</summary>
internal sealed record RolloutRequest(string Id, ReleaseManifest Release, string Url, string Selector, double CanaryPercent, int MaxFailures, TimeSpan WaitHealthy);

/// <summary>
/// Runs a rollout: publishes each wave's signed, retained desired software state, follows the devices' retained
/// <c>software</c> topics until every device of the wave is healthy or failed (or <c>--wait-healthy</c> passed), and
/// starts the next wave only while fewer than <c>--max-failures</c> devices failed. A halted rollout clears the desired
/// state of the devices that failed, so none of them is left holding a release it could not run.
/// </summary>
internal sealed class RolloutRunner(BrokerEndpoint broker, string prefix, System.Security.Cryptography.ECDsa? signingKey, RolloutStore store, TimeProvider time, TextWriter output)
{
    private readonly Channel<(string Device, SoftwareState State)> _states = Channel.CreateUnbounded<(string, SoftwareState)>();

    /// <summary>Runs <paramref name="request"/> over <paramref name="plan"/>; true when it completed without halting.</summary>
    public async Task<bool> RunAsync(RolloutRequest request, RolloutPlan plan, CancellationToken token)
    {
        var progress = new RolloutProgress(request.MaxFailures);
        using var client = new MqttClientFactory().CreateMqttClient();
        client.ApplicationMessageReceivedAsync += e =>
        {
            if (Topics.TryParse(prefix, e.ApplicationMessage.Topic, out string device, out var kind, out _) && kind == DeviceTopic.Software
                && e.ApplicationMessage.Payload.Length is > 0 and < 64 * 1024)
            {
                try
                {
                    var state = JsonSerializer.Deserialize(e.ApplicationMessage.Payload.ToArray(), ContractJsonContext.Default.SoftwareState);
                    if (state is not null && state.Rollout == request.Id) _states.Writer.TryWrite((device, state));
                }
                catch (JsonException) { /* not ours to judge: the ingest logs malformed device messages */ }
            }
            return Task.CompletedTask;
        };
        await client.ConnectAsync(broker.Options("rollout-" + Guid.NewGuid().ToString("N")[..8]).Build(), token).ConfigureAwait(false);
        await client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder()
            .WithTopicFilter(Topics.AllDevices(prefix, DeviceTopic.Software), MqttQualityOfServiceLevel.AtLeastOnce).Build(), token).ConfigureAwait(false);

        int waveNumber = 0;
        foreach (var wave in plan.Waves)
        {
            string name = waveNumber++ == 0 ? "canary" : "rest";
            output.WriteLine($"rollout {request.Id}: wave {name}: {string.Join(", ", wave)}");
            foreach (string device in wave)
            {
                await PublishDesiredAsync(client, request, device, token).ConfigureAwait(false);
                progress.Set(device, "sent", null);
                await store.DeviceAsync(request.Id, device, "sent", null, Now, token).ConfigureAwait(false);
            }
            await FollowAsync(request, wave, progress, token).ConfigureAwait(false);
            if (progress.MustHalt)
            {
                string reason = $"{progress.Failures} device(s) failed, --max-failures {request.MaxFailures}";
                foreach (string device in wave.Where(d => progress.StateOf(d) is { } s && RolloutProgress.IsFailure(s)))
                    await RetainedMessage.ClearAsync(client, new Topics(prefix, device).SoftwareDesired, token).ConfigureAwait(false);
                await store.RolloutAsync(request.Id, "halted", reason, Now, token).ConfigureAwait(false);
                output.WriteLine($"rollout {request.Id}: HALTED after the {name} wave: {reason}; the devices not reached yet keep their release");
                return false;
            }
        }
        string done = progress.Failures == 0 ? "every device healthy" : $"{progress.Failures} device(s) failed, below --max-failures {request.MaxFailures}";
        await store.RolloutAsync(request.Id, "completed", done, Now, token).ConfigureAwait(false);
        output.WriteLine($"rollout {request.Id}: completed: {done}");
        return true;
    }

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    // Follows the wave until every device is final, the wait is over, or enough failed to halt.
    private async Task FollowAsync(RolloutRequest request, IReadOnlyList<string> wave, RolloutProgress progress, CancellationToken token)
    {
        var members = wave.ToHashSet(StringComparer.Ordinal);
        using var deadline = new CancellationTokenSource(request.WaitHealthy, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, token);
        while (!progress.Done(wave) && !progress.MustHalt)
        {
            (string Device, SoftwareState State) next;
            try { next = await _states.Reader.ReadAsync(linked.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested && !token.IsCancellationRequested) { break; }
            if (!members.Contains(next.Device) || !progress.Set(next.Device, next.State.State, next.State.Reason)) continue;
            output.WriteLine($"  {next.Device}: {next.State.State}{(next.State.Reason is { } r ? " (" + r + ")" : "")}");
            await store.DeviceAsync(request.Id, next.Device, next.State.State, next.State.Reason, Now, token).ConfigureAwait(false);
        }
        foreach (string device in wave.Where(d => progress.StateOf(d) is not { } s || !RolloutProgress.IsFinal(s)))
        {
            if (progress.MustHalt) break;
            string reason = $"not healthy within --wait-healthy {request.WaitHealthy.TotalSeconds:0} s (last: {progress.StateOf(device) ?? "nothing"})";
            progress.Set(device, "timed-out", reason);
            output.WriteLine($"  {device}: timed-out ({reason})");
            await store.DeviceAsync(request.Id, device, "timed-out", reason, Now, token).ConfigureAwait(false);
        }
    }

    private async Task PublishDesiredAsync(IMqttClient client, RolloutRequest request, string device, CancellationToken token)
    {
        var desired = JsonSerializer.SerializeToNode(new SoftwareDesired(request.Id, request.Release.Version, request.Url,
            Convert.ToBase64String(request.Release.Bytes), request.Release.Signature, time.GetUtcNow(), null), ContractJsonContext.Default.SoftwareDesired)!.AsObject();
        if (signingKey is not null) desired["signature"] = FleetSignature.Sign(signingKey, SoftwareSignature.Bytes(device, desired));
        await client.PublishAsync(new MqttApplicationMessageBuilder().WithTopic(new Topics(prefix, device).SoftwareDesired)
            .WithPayload(desired.ToJsonString()).WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce).WithRetainFlag()
            .WithContentType("application/json").Build(), token).ConfigureAwait(false);
    }
}
