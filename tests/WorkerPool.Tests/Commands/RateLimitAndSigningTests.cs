using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using WorkerPool.Commands;
using WorkerPool.RemoteConfig;

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
    public void CommandBytes_CoverEverythingButTheSignature()
    {
        using var fleet = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var verifier = FleetSignature.FromPublicKeyPem(fleet.ExportSubjectPublicKeyInfoPem());
        var request = new JsonObject { ["camera"] = "cam1", ["time"] = "2026-11-23T00:00:00Z" };
        request["signature"] = FleetSignature.Sign(fleet, CommandService.CommandBytes("dev-1", "restart-camera", request));

        Assert.True(verifier.Verify(CommandService.CommandBytes("dev-1", "restart-camera", request), request["signature"]!.GetValue<string>()));
        Assert.False(verifier.Verify(CommandService.CommandBytes("dev-2", "restart-camera", request), request["signature"]!.GetValue<string>()));
        Assert.False(verifier.Verify(CommandService.CommandBytes("dev-1", "flush-outbox", request), request["signature"]!.GetValue<string>()));
        request["camera"] = "cam2";
        Assert.False(verifier.Verify(CommandService.CommandBytes("dev-1", "restart-camera", request), request["signature"]!.GetValue<string>()));
    }
}
