using Microsoft.Extensions.DependencyInjection;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Counting;
using WorkerPool.Outbox;

namespace WorkerPool.Tests.Outbox;

public sealed class OutboxWiringTests : IDisposable
{
    private readonly OutboxTestFiles _files = new();

    [Fact]
    public void AddOutbox_OpensTheOutboxAtTheConfigsPath_AndThePipelinesSinkStoresIntoIt()
    {
        var config = new DeviceConfig();
        config.Outbox.Path = _files.DbPath;
        using var services = new ServiceCollection()
            .AddSingleton(config)
            .AddSingleton<TimeProvider>(_files.Time)
            .AddLogging()
            .AddOutbox()
            .BuildServiceProvider();

        services.GetRequiredService<ICountSink>().Write(new CountRecord { DeviceId = "dev", CameraId = "a" });

        var outbox = services.GetRequiredService<CountOutbox>();
        Assert.Equal(1, outbox.Stats().Backlog);
        Assert.Equal(1, outbox.ReadOldest(1).Single().Seq);
        Assert.True(File.Exists(_files.DbPath));
    }

    public void Dispose() => _files.Dispose();
}
