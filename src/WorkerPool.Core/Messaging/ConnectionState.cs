namespace WorkerPool.Messaging;

/// <summary>Where an <see cref="MqttConnection"/> is.</summary>
public enum ConnectionState
{
    /// <summary>Not run yet.</summary>
    Starting,
    /// <summary>The first attempt is under way.</summary>
    Connecting,
    /// <summary>A session is up in full.</summary>
    Connected,
    /// <summary>Lost or failed; the next attempt waits its backoff.</summary>
    Reconnecting,
    /// <summary>The broker refused the credentials; retried slowly.</summary>
    Refused,
    /// <summary>Shut down.</summary>
    Stopped,
}
