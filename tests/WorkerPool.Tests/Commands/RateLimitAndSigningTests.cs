using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using WorkerPool.Commands;
using WorkerPool.RemoteConfig;
using WorkerPool.Contracts;

namespace WorkerPool.Tests.Commands;

public class RateLimitAndSigningTests
{
    [Fact]
    public void RateLimit_BurstThenSteadyRate()
    {
        var time = new FakeTimeProvider();
        var limit = new RateLimit(3, TimeSpan.FromSeconds(1), time);
        Assert.Equal([true, true, true, false], Enumerable.Range(0, 4).Select(_ => limit.TryTake()));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limit.TryTake());
        Assert.False(limit.TryTake());
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(3, Enumerable.Range(0, 5).Count(_ => limit.TryTake())); // never more than the capacity
    }

    [Fact]
    public void CommandBytes_CoverEverythingButTheSignature_IncludingWhereTheAnswerGoes()
    {
        using var fleet = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var verifier = FleetSignature.FromPublicKeyPem(fleet.ExportSubjectPublicKeyInfoPem());
        byte[] correlation = [1, 2, 3];
        var request = new JsonObject { ["camera"] = "cam1", ["time"] = "2026-11-23T00:00:00Z", ["nonce"] = "0123456789abcdef" };
        string signature = FleetSignature.Sign(fleet, CommandSignature.Bytes("dev-1", "restart-camera", "ops/reply", correlation, request));
        request["signature"] = signature;

        Assert.True(verifier.Verify(CommandSignature.Bytes("dev-1", "restart-camera", "ops/reply", correlation, request), signature));
        Assert.False(verifier.Verify(CommandSignature.Bytes("dev-2", "restart-camera", "ops/reply", correlation, request), signature));
        Assert.False(verifier.Verify(CommandSignature.Bytes("dev-1", "flush-outbox", "ops/reply", correlation, request), signature));
        Assert.False(verifier.Verify(CommandSignature.Bytes("dev-1", "restart-camera", "attacker/inbox", correlation, request), signature));
        Assert.False(verifier.Verify(CommandSignature.Bytes("dev-1", "restart-camera", "ops/reply", [9], request), signature));
        request["camera"] = "cam2";
        Assert.False(verifier.Verify(CommandSignature.Bytes("dev-1", "restart-camera", "ops/reply", correlation, request), signature));
    }
}

/// <summary>What the command gate admits when the device has a fleet key: each signed command once, answered where it was signed to be.</summary>
public sealed class CommandGateTests : IDisposable
{
    private readonly ECDsa _fleet = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly WorkerPool.Config.SecurityOptions _security;
    private int _nonce;

    public CommandGateTests() => _security = new() { FleetPublicKey = _fleet.ExportSubjectPublicKeyInfoPem() };

    private CommandGate Gate() => new("dev-1", ["ping", "get-config", "get-stats", "snapshot", "restart-camera", "flush-outbox", "resend"], () => _security, 256 * 1024, _time);

    private CommandMessage Signed(string name = "restart-camera", string responseTopic = "ops/reply", byte[]? correlation = null, string? nonce = null, ECDsa? by = null)
    {
        correlation ??= [7, 7];
        var request = new JsonObject
        {
            ["camera"] = "cam1", ["time"] = _time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["nonce"] = nonce ?? $"nonce-{++_nonce:D12}",
        };
        request["signature"] = FleetSignature.Sign(by ?? _fleet, CommandSignature.Bytes("dev-1", name, responseTopic, correlation, request));
        return new CommandMessage(name, System.Text.Encoding.UTF8.GetBytes(request.ToJsonString()), responseTopic, correlation);
    }

    [Fact]
    public void SignedCommand_IsAdmittedOnce_TheSameBytesAgainAreRefused()
    {
        var gate = Gate();
        var captured = Signed();
        Assert.True(gate.Check(captured).Admitted);
        for (int i = 0; i < 3; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            var again = gate.Check(captured);
            Assert.False(again.Admitted);
            Assert.Contains("nonce was used before", again.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void CapturedCommand_SentWithAnotherResponseTopicOrCorrelation_DoesNotVerify()
    {
        var gate = Gate();
        var captured = Signed("snapshot");
        var redirected = captured with { ResponseTopic = "attacker/inbox" };
        var recorrelated = captured with { CorrelationData = [1] };
        Assert.Contains("signature does not verify", gate.Check(redirected).Error, StringComparison.Ordinal);
        Assert.Contains("signature does not verify", gate.Check(recorrelated).Error, StringComparison.Ordinal);
        Assert.True(gate.Check(captured).Admitted); // the refusals did not spend its nonce
    }

    [Fact]
    public void SignedCommandWithoutANonce_IsRefused()
    {
        var request = new JsonObject { ["camera"] = "cam1", ["time"] = _time.GetUtcNow().ToString("O", System.Globalization.CultureInfo.InvariantCulture) };
        request["signature"] = FleetSignature.Sign(_fleet, CommandSignature.Bytes("dev-1", "ping", "r", [], request));
        using var gate = Gate();
        var verdict = gate.Check(new CommandMessage("ping", System.Text.Encoding.UTF8.GetBytes(request.ToJsonString()), "r", []));
        Assert.Contains("nonce is required", verdict.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void FloodOfUnsignedCommands_DoesNotLockOutTheFleetsSignedOnes_AndGoesUnansweredOverItsBudget()
    {
        var gate = Gate();
        var unsigned = new CommandMessage("restart-camera", """{"camera": "cam1"}"""u8.ToArray(), "x", []);
        var verdicts = Enumerable.Range(0, 1000).Select(_ => gate.Check(unsigned)).ToArray();
        Assert.All(verdicts, v => Assert.False(v.Admitted));
        Assert.Equal(10, verdicts.Count(v => v.Answer)); // the refusals' own budget: 10 at once
        Assert.Equal(990, gate.Unanswered);

        Assert.True(gate.Check(Signed()).Admitted);
    }

    [Fact]
    public void NonceOlderThanTwiceTheWindow_IsForgotten_ButItsCommandIsStaleByThen()
    {
        var gate = Gate();
        var captured = Signed();
        Assert.True(gate.Check(captured).Admitted);
        _time.Advance(CommandGate.ReplayWindow * 2 + TimeSpan.FromSeconds(1));
        Assert.Contains("minutes from the device's clock", gate.Check(captured).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void DuringAKeyRotation_CommandsSignedByTheNextKeyAreAdmitted_AndAfterItTheOldKeyIsNot()
    {
        using var next = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var gate = Gate();
        Assert.Contains("signature does not verify", gate.Check(Signed(by: next)).Error, StringComparison.Ordinal);

        _security.FleetPublicKeyNext = next.ExportSubjectPublicKeyInfoPem(); // what a rotation's first config installs
        Assert.True(gate.Check(Signed(by: next)).Admitted);
        Assert.True(gate.Check(Signed()).Admitted);

        (_security.FleetPublicKey, _security.FleetPublicKeyNext) = (_security.FleetPublicKeyNext, null); // and its second
        Assert.True(gate.Check(Signed(by: next)).Admitted);
        Assert.Contains("signature does not verify", gate.Check(Signed()).Error, StringComparison.Ordinal);
    }

    [Fact]
    public void TheIngestsResendKey_SignsResendOnly_AndNothingElse()
    {
        using var ingest = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var gate = Gate();
        Assert.Contains("signature does not verify", gate.Check(Signed("resend", by: ingest)).Error, StringComparison.Ordinal);

        _security.ResendPublicKey = ingest.ExportSubjectPublicKeyInfoPem();
        Assert.True(gate.Check(Signed("resend", by: ingest)).Admitted);
        Assert.True(gate.Check(Signed("resend")).Admitted); // the fleet key may ask too
        foreach (string other in new[] { "restart-camera", "flush-outbox", "snapshot", "get-config" })
            Assert.Contains("signature does not verify", gate.Check(Signed(other, by: ingest)).Error, StringComparison.Ordinal);
    }

    public void Dispose() => _fleet.Dispose();
}
