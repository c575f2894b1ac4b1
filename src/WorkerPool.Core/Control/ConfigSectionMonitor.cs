using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;
using WorkerPool.Config;

namespace WorkerPool.Control;

/// <summary>
/// One section of the config in effect as an <see cref="IOptionsMonitor{TOptions}"/>: <see cref="CurrentValue"/> is
/// the section of the config the pipeline runs with now, and listeners hear of every config the control surface
/// applied (a remote config, a key rotation). Features that follow live changes take this, not the control surface.
/// </summary>
public sealed class ConfigSectionMonitor<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicParameterlessConstructor)] T>(IDeviceControl control, Func<DeviceConfig, T> section) : IOptionsMonitor<T>
{
    /// <inheritdoc />
    public T CurrentValue => section(control.Config);

    /// <inheritdoc />
    public T Get(string? name) => CurrentValue;

    /// <inheritdoc />
    public IDisposable OnChange(Action<T, string?> listener)
    {
        void Applied(DeviceConfig config) => listener(section(config), Options.DefaultName);
        control.ConfigApplied += Applied;
        return new Subscription(() => control.ConfigApplied -= Applied);
    }

    private sealed class Subscription(Action dispose) : IDisposable
    {
        private Action? _dispose = dispose;

        public void Dispose() => Interlocked.Exchange(ref _dispose, null)?.Invoke();
    }
}
