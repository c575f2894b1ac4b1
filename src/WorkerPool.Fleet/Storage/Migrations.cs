using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace WorkerPool.Fleet.Storage;

/// <summary>
/// The fleet schema's versioned migrations (embedded <c>Migrations/NNN_name.sql</c>), applied at start under a
/// session advisory lock: several instances starting at once against one database apply each version exactly once.
/// </summary>
internal static partial class Migrations
{
    private const long LockKey = 0x5750_464C_4545_5401; // "WPFLEET" + 1

    /// <summary>The embedded migrations, in version order.</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> All { get; } = Load();

    /// <summary>Applies every migration the database lacks; returns the schema version after.</summary>
    public static async Task<int> ApplyAsync(NpgsqlDataSource db, ILogger logger, CancellationToken token)
    {
        await using var connection = await db.OpenConnectionAsync(token).ConfigureAwait(false);
        await Execute(connection, $"SELECT pg_advisory_lock({LockKey})", token).ConfigureAwait(false);
        try
        {
            await Execute(connection, "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", token).ConfigureAwait(false);
            var applied = new HashSet<int>();
            await using (var read = new NpgsqlCommand("SELECT version FROM schema_migrations", connection))
            await using (var rows = await read.ExecuteReaderAsync(token).ConfigureAwait(false))
                while (await rows.ReadAsync(token).ConfigureAwait(false)) applied.Add(rows.GetInt32(0));
            int current = applied.Count == 0 ? 0 : applied.Max();
            foreach (var (version, name, sql) in All.Where(m => !applied.Contains(m.Version)))
            {
                await using var tx = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
                await using (var apply = new NpgsqlCommand(sql, connection, tx)) await apply.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                await using (var mark = new NpgsqlCommand("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", connection, tx))
                {
                    mark.Parameters.Add(new NpgsqlParameter<int> { TypedValue = version });
                    mark.Parameters.Add(new NpgsqlParameter<string> { TypedValue = name });
                    await mark.ExecuteNonQueryAsync(token).ConfigureAwait(false);
                }
                await tx.CommitAsync(token).ConfigureAwait(false);
                LogApplied(logger, version, name);
                current = Math.Max(current, version);
            }
            return current;
        }
        finally
        {
            await Execute(connection, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken token)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(token).ConfigureAwait(false);
    }

    private static List<(int, string, string)> Load()
    {
        var assembly = Assembly.GetExecutingAssembly();
        const string marker = ".Storage.Migrations.";
        var list = new List<(int, string, string)>();
        foreach (string resource in assembly.GetManifestResourceNames().Where(n => n.Contains(marker, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal)))
        {
            string file = resource[(resource.IndexOf(marker, StringComparison.Ordinal) + marker.Length)..^4]; // "001_initial"
            int version = int.Parse(file.AsSpan(0, file.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            list.Add((version, file, reader.ReadToEnd()));
        }
        return [.. list.OrderBy(m => m.Item1)];
    }

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Applied schema migration {Version} ({Name})")]
    private static partial void LogApplied(ILogger logger, int version, string name);
}
