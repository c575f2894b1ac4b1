using Microsoft.Extensions.Logging;
using Npgsql;

namespace WorkerPool.Fleet.Storage;

/// <summary>The fleet database: opened once per process, migrated on open. Writers and readers share its data source.</summary>
internal sealed class FleetStore : IAsyncDisposable
{
    private FleetStore(NpgsqlDataSource db) => Db = db;

    /// <summary>The pooled data source.</summary>
    public NpgsqlDataSource Db { get; }

    /// <summary>Opens the database and applies the migrations it lacks (several instances may do this at once).</summary>
    public static async Task<FleetStore> OpenAsync(string connectionString, ILogger logger, CancellationToken token)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (string.IsNullOrEmpty(builder.ConnectionStringBuilder.ApplicationName)) builder.ConnectionStringBuilder.ApplicationName = "workerpool-fleet";
        // The ingest runs the same few statements over and over: prepared, they are parsed and planned once per
        // connection (the batch statement's planning alone took a few ms). A connection string may set its own.
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0) builder.ConnectionStringBuilder.MaxAutoPrepare = 32;
        var db = builder.Build();
        try
        {
            await Migrations.ApplyAsync(db, logger, token).ConfigureAwait(false);
            return new FleetStore(db);
        }
        catch
        {
            await db.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => Db.DisposeAsync();
}
