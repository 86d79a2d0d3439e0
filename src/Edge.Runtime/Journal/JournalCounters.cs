namespace Edge.Runtime;

/// <summary>Lifetime counters of a <see cref="FileSyncStore"/>, for /metrics. Thread-safe; reads are individually atomic.</summary>
public sealed class JournalCounters
{
    private long _recoveredFrames;
    private long _truncatedBytes;
    private long _tailCorruptions;
    private long _appends;
    private long _appendFailures;
    private long _fsyncs;
    private long _snapshots;
    private long _snapshotFailures;
    private long _outOfSpaceWrites;
    private long _missingJournals;
    private string _lastRecovery = "";

    /// <summary>Journal frames replayed when the store opened.</summary>
    public long RecoveredFrames => Volatile.Read(ref _recoveredFrames);

    /// <summary>Bytes cut off a torn or corrupt journal tail when the store opened.</summary>
    public long TruncatedBytes => Volatile.Read(ref _truncatedBytes);

    /// <summary>Torn or corrupt journal tails found (and cut off) when the store opened.</summary>
    public long TailCorruptions => Volatile.Read(ref _tailCorruptions);

    /// <summary>Records appended.</summary>
    public long Appends => Volatile.Read(ref _appends);

    /// <summary>
    /// Mutating calls that failed on the journal: refused or rolled back (nothing stored, memory unchanged), refused
    /// by a stopped store, or not made durable by a failed group-commit fsync (then memory has them, see
    /// <see cref="JournalDurability.GroupCommit"/>). One per failed call.
    /// </summary>
    public long AppendFailures => Volatile.Read(ref _appendFailures);

    /// <summary>Journal fsyncs; below <see cref="Appends"/> when group commit batches writers.</summary>
    public long Fsyncs => Volatile.Read(ref _fsyncs);

    /// <summary>Snapshots written (each compacts the journal).</summary>
    public long Snapshots => Volatile.Read(ref _snapshots);

    /// <summary>Snapshots that failed; the journal was kept, nothing was lost.</summary>
    public long SnapshotFailures => Volatile.Read(ref _snapshotFailures);

    /// <summary>
    /// Writes the disk refused because it was full or the quota was used up, each rolled back: journal appends (also
    /// counted in <see cref="AppendFailures"/>) and snapshots (also counted in <see cref="SnapshotFailures"/>).
    /// An fsync that fails for space is not counted here: it stops the store.
    /// </summary>
    public long OutOfSpaceWrites => Volatile.Read(ref _outOfSpaceWrites);

    /// <summary>
    /// Live journals found missing when the store opened: a snapshot names a journal generation whose file is gone
    /// although no compaction was interrupted (someone deleted it). Records acknowledged after that snapshot are lost.
    /// </summary>
    public long MissingJournals => Volatile.Read(ref _missingJournals);

    /// <summary>What the last recovery found, in one line.</summary>
    public string LastRecovery => Volatile.Read(ref _lastRecovery);

    internal void Recovered(long frames, long truncatedBytes, bool tailCorrupt, bool journalMissing, string message)
    {
        if (journalMissing)
        {
            Interlocked.Increment(ref _missingJournals);
        }

        Interlocked.Add(ref _recoveredFrames, frames);
        Interlocked.Add(ref _truncatedBytes, truncatedBytes);
        if (tailCorrupt)
        {
            Interlocked.Increment(ref _tailCorruptions);
        }

        Volatile.Write(ref _lastRecovery, message);
    }

    internal void Appended() => Interlocked.Increment(ref _appends);

    internal void AppendFailed() => Interlocked.Increment(ref _appendFailures);

    internal void Fsynced() => Interlocked.Increment(ref _fsyncs);

    internal void SnapshotWritten() => Interlocked.Increment(ref _snapshots);

    internal void SnapshotFailed() => Interlocked.Increment(ref _snapshotFailures);

    internal void OutOfSpaceWrite() => Interlocked.Increment(ref _outOfSpaceWrites);
}
