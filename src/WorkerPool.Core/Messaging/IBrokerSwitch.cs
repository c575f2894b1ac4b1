using WorkerPool.Config;

namespace WorkerPool.Messaging;

/// <summary>
/// Moves the device's MQTT session to other connection settings without ever stranding it: a short-lived test
/// connection first, then the session itself, back to the settings it had when that does not come up in time.
/// </summary>
public interface IBrokerSwitch
{
    /// <summary>
    /// Connects once with <paramref name="options"/> on a separate client (its own client id, no last will) and
    /// disconnects: null when the broker accepted it, else why not (DNS, refused, TLS, credentials, timeout).
    /// </summary>
    Task<string?> ProbeAsync(MqttOptions options, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// Moves the session to <paramref name="options"/> (the old broker is told <c>offline</c>, reason <c>moving</c>):
    /// null once the session is up there in full (status, subscriptions), else why not; then it is back on the old
    /// settings, and connected again there when the old broker answers within <paramref name="timeout"/>.
    /// </summary>
    Task<string?> SwitchAsync(MqttOptions options, TimeSpan timeout, CancellationToken cancellationToken);
}
