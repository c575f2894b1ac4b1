namespace WorkerPool.Fleet.Ingest;

/// <summary>How one ingest instance runs.</summary>
/// <param name="ClientId">The instance's MQTT session: distinct per instance, stable across its restarts.</param>
/// <param name="Group">The shared-subscription group the instances split the load in.</param>
/// <param name="Prefix">The devices' topic prefix.</param>
internal sealed record IngestOptions(string ClientId, string Group, string Prefix)
{
    /// <summary>How long the broker keeps the session (and queues for it) while the instance is away.</summary>
    public TimeSpan SessionExpiry { get; init; } = TimeSpan.FromDays(1);

    /// <summary>
    /// Unacknowledged QoS 1 messages the broker may have in flight to this instance (MQTT 5 Receive Maximum): a full
    /// batch being written and the next one waiting.
    /// </summary>
    public ushort ReceiveMaximum { get; init; } = 8000;

    /// <summary>
    /// Most messages written in one transaction. Each batch updates the ledger row of every camera and the row of every
    /// device in it, so larger batches cost the database less per record in a burst (measured: 4,000 drained a
    /// burst of 200 devices about 1.6x faster than 1,000).
    /// </summary>
    public int MaxBatch { get; init; } = 4000;

    /// <summary>How often the completeness ledger is brought up to date.</summary>
    public TimeSpan LedgerInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How old an unexplained gap must be before its records are asked for (redeliveries fill most gaps sooner).</summary>
    public TimeSpan GapGrace { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long after asking for a gap's records the ingest asks again.</summary>
    public TimeSpan ResendInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How often due gaps are looked for.</summary>
    public TimeSpan GapCheckInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The default client id: the host name and the group, so one instance per host needs no flag.</summary>
    public static string DefaultClientId(string group) => $"{group}-{Environment.MachineName}";
}
