using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using WorkerPool.Capture;
using WorkerPool.Config;
using WorkerPool.Contracts;
using WorkerPool.Counting;
using WorkerPool.Pipeline;

namespace WorkerPool.Control;

/// <summary>
/// The control surface in front of the pipeline. It exists from process start and outlives pipeline rebuilds.
/// Every change (config, camera restart, snapshot, sampling) is a request in one queue, run one at a time, and only
/// after the start-up pipeline is up: a retained desired config that arrives while the models load waits its turn
/// instead of building a second pipeline beside the first. Status is read without waiting, as immutable data.
/// </summary>
public sealed class DeviceControl : IDeviceControl, IHostedService, IAsyncDisposable
{
    private readonly Channel<Request> _requests = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = true });
    private readonly PipelineRunner _runner;
    private Task _loop = Task.CompletedTask;
    private volatile bool _reconfiguring, _stopping;
    private volatile PipelineStatus? _final;
    private int _stopped;

    /// <summary>The service's control: the live pipeline for the config, writing closed windows to <paramref name="sink"/>.</summary>
    public DeviceControl(IOptions<DeviceConfig> options, ICountSink sink, TimeProvider time, ILoggerFactory loggers)
        : this(options.Value, new PipelineSetup(PipelineMode.Live, sink, new FrameSourceFactory(time)), time, loggers)
    {
    }

    /// <summary>A control over a pipeline built as <paramref name="setup"/> says (replay, benchmarks, tests).</summary>
    public DeviceControl(DeviceConfig config, PipelineSetup setup, TimeProvider time, ILoggerFactory loggers) =>
        _runner = new PipelineRunner(config, setup, time, loggers);

    /// <inheritdoc />
    public DeviceConfig Config => _runner.Config;

    /// <summary>Completes when every camera reader has stopped (replay: the video ended).</summary>
    public Task CamerasCompletion => _runner.CamerasCompletion;

    /// <inheritdoc />
    public PipelineStatus Status() => _final ?? _runner.Status(_reconfiguring);

    /// <summary>Starts the pipeline (models load here; throws if a worker cannot), then takes the requests queued meanwhile, in order.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _runner.Start();
        _loop = Task.Run(LoopAsync, CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Refuses new requests, lets the one running finish, answers the queued ones "stopping", and stops the pipeline;
    /// <see cref="Status"/> then keeps what it counted to the end.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _stopping = true;
        _requests.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        FailQueued();
        _final = await _runner.StopAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public event Action<DeviceConfig>? ConfigApplied;

    /// <inheritdoc />
    public Task<IReadOnlyList<ConfigError>> ApplyConfigAsync(DeviceConfig config, CancellationToken cancellationToken = default) =>
        Enqueue(async () =>
        {
            var errors = await _runner.ApplyAsync(config).ConfigureAwait(false);
            if (errors.Count == 0) ConfigApplied?.Invoke(_runner.Config);
            return errors;
        }, cancellationToken, reconfigures: true);

    /// <inheritdoc />
    public Task<bool> RestartCameraAsync(string cameraId, CancellationToken cancellationToken = default) =>
        Enqueue(() => _runner.RestartCameraAsync(cameraId), cancellationToken);

    /// <inheritdoc />
    public Task<SnapshotImage?> SnapshotAsync(string cameraId, int maxBytes, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Enqueue(() => _runner.SnapshotAsync(cameraId, maxBytes, timeout), cancellationToken);

    /// <inheritdoc />
    public Task SetSamplingAsync(IReadOnlyDictionary<string, double> fpsByCamera, CancellationToken cancellationToken = default) =>
        Enqueue(() =>
        {
            _runner.SetSampling(fpsByCamera);
            return Task.FromResult(true);
        }, cancellationToken);

    private Task<T> Enqueue<T>(Func<Task<T>> work, CancellationToken cancellationToken, bool reconfigures = false)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        async Task RunAsync()
        {
            if (cancellationToken.IsCancellationRequested) { done.TrySetCanceled(cancellationToken); return; }
            if (reconfigures) _reconfiguring = true;
            try { done.TrySetResult(await work().ConfigureAwait(false)); }
            catch (Exception ex) { done.TrySetException(ex); }
            finally { _reconfiguring = false; }
        }
        var request = new Request(RunAsync, () => done.TrySetException(Stopping()));
        if (_stopping || !_requests.Writer.TryWrite(request)) request.Fail();
        return done.Task.WaitAsync(cancellationToken);
    }

    private async Task LoopAsync()
    {
        await foreach (var request in _requests.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (_stopping) request.Fail();
            else await request.Run().ConfigureAwait(false);
        }
    }

    private void FailQueued()
    {
        while (_requests.Reader.TryRead(out var request)) request.Fail();
    }

    private static InvalidOperationException Stopping() => new("the device is stopping");

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _runner.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>One queued change: how to run it, and how to answer it when the device stops first.</summary>
    private sealed record Request(Func<Task> Run, Action Fail);
}
