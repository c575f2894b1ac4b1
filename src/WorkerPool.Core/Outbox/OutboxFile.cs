using LiteDB;

namespace WorkerPool.Outbox;

/// <summary>
/// The outbox's file and its quarantine: opening it, telling damage and storage failures from other errors, and
/// moving a damaged file aside.
/// </summary>
internal static class OutboxFile
{
    /// <summary>Opens the database and touches every collection: LiteDB reports a damaged file on first use, not on open.</summary>
    public static LiteDatabase Open(string path, params string[] collections)
    {
        var db = new LiteDatabase(new ConnectionString { Filename = path, Connection = ConnectionType.Direct, Upgrade = false });
        try
        {
            foreach (var name in collections) _ = db.GetCollection(name).LongCount();
            return db;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    /// <summary>LiteDB's log file beside the database (<c>NAME-log.EXT</c>).</summary>
    public static string LogFileOf(string path) =>
        System.IO.Path.Combine(System.IO.Path.GetDirectoryName(path) ?? "", System.IO.Path.GetFileNameWithoutExtension(path) + "-log" + System.IO.Path.GetExtension(path));

    /// <summary>True when opening failed because the file is damaged (not because another process holds it or a folder is unreadable).</summary>
    public static bool IsCorruption(Exception ex) => ex switch
    {
        // A file held by another process or an unreadable folder is not damage: do not move it aside.
        UnauthorizedAccessException or DirectoryNotFoundException => false,
        IOException io when io.HResult == unchecked((int)0x80070020) => false,
        LiteException or InvalidDataException or IOException or ArgumentException or InvalidCastException
            or IndexOutOfRangeException or OverflowException or FormatException => true,
        _ => false,
    };

    /// <summary>Moves a damaged database (and its log) to <c>PATH.corrupt-yyyyMMddTHHmmssZ</c>; returns that path.</summary>
    public static string Quarantine(string path, TimeProvider time)
    {
        string aside = $"{path}.corrupt-{time.GetUtcNow():yyyyMMdd'T'HHmmss'Z'}";
        File.Move(path, aside, overwrite: true);
        string log = LogFileOf(path);
        if (File.Exists(log)) File.Move(log, LogFileOf(aside), overwrite: true);
        return aside;
    }

    /// <summary>
    /// What a failing store throws: I/O errors (ENOSPC, EIO), LiteDB's own, and the disposed streams LiteDB leaves
    /// behind after one of those. Anything else is a bug and is not hidden.
    /// </summary>
    public static bool IsStorageFailure(Exception ex) =>
        ex is IOException or LiteException or UnauthorizedAccessException or ObjectDisposedException;
}
