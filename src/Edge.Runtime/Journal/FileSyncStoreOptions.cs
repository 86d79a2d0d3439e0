namespace Edge.Runtime;

/// <summary>When a <see cref="FileSyncStore"/> fsyncs its journal.</summary>
public enum JournalDurability
{
    /// <summary>
    /// Concurrent writers share fsyncs: the first writer to wait flushes everything appended so far, the others wait
    /// for it (asynchronous waiters without a thread). Each call still returns only once its record is on disk, and
    /// nobody sees a version before. If that fsync fails, the calls waiting on it throw, their versions and any built
    /// on them never become visible, and the store refuses further writes (restart to recover from what is on disk).
    /// </summary>
    GroupCommit,

    /// <summary>
    /// Every record is fsynced on its own while the synchronizer holds its lock: writers are serialised on the disk,
    /// but a failed fsync leaves memory exactly as before the call (the record is cut off again).
    /// </summary>
    PerWrite,
}

/// <summary>Settings of a <see cref="FileSyncStore"/>.</summary>
/// <param name="Directory">The data directory; created if missing. Holds <c>edge.lock</c>, <c>snapshot.bin</c> and <c>journal-*.log</c>.</param>
public sealed record FileSyncStoreOptions(string Directory)
{
    /// <summary>How writes are made durable; <see cref="JournalDurability.GroupCommit"/> by default.</summary>
    public JournalDurability Durability { get; init; } = JournalDurability.GroupCommit;

    /// <summary>
    /// Compacts the journal into a snapshot after this many records (0: never by count), whatever their size: the cap
    /// that bounds recovery time. Default 10,000 (replaying them takes well under a second on a board).
    /// </summary>
    public int SnapshotEveryRecords { get; init; } = 10_000;

    /// <summary>
    /// The floor of compaction by size (0: never by size): the journal is compacted once it is at least this large and
    /// also <see cref="SnapshotStateMultiple"/> times the state, so a tiny state does not snapshot every few writes and a
    /// big one is not rewritten for every few small deltas. Default 1 MiB.
    /// </summary>
    public long SnapshotEveryBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// How many times the state's size the journal may grow before it is compacted (0: the floor alone decides). With the
    /// default 4, a snapshot of an S-byte state is written once per 4·S journal bytes, so it adds a quarter to the
    /// journal bytes of each change, amortized.
    /// </summary>
    public int SnapshotStateMultiple { get; init; } = 4;

    /// <summary>Receives one line per notable event (torn tail cut, live journal missing, compaction failed, store faulted); null: none.</summary>
    public Action<string>? Log { get; init; }
}
