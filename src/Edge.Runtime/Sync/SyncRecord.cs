namespace Edge.Runtime;

/// <summary>The kind of a <see cref="SyncRecord"/>.</summary>
public enum SyncRecordKind : byte
{
    /// <summary>A local update (full or delta): <see cref="SyncRecord.State"/> is the new local state, <see cref="SyncRecord.Change"/> the pending change.</summary>
    LocalUpdate = 1,

    /// <summary>A remote state accepted: <see cref="SyncRecord.State"/> is the new local state.</summary>
    RemoteApplied = 2,

    /// <summary>A remote state refused: <see cref="SyncRecord.Version"/> is its version, <see cref="SyncRecord.Detail"/> why.</summary>
    RemoteRejected = 3,

    /// <summary>Pending changes up to <see cref="SyncRecord.Version"/> confirmed.</summary>
    Confirmed = 4,
}

/// <summary>
/// One mutation of an <see cref="EdgeSynchronizer"/>, as it is written to an <see cref="ISyncStore"/>. Records carry
/// results, not inputs, so replaying them needs no clock, no strategy and no checksum work and always lands on the
/// same state.
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="Timestamp">When (UTC).</param>
/// <param name="Version">The version involved.</param>
/// <param name="State">The new local state, for <see cref="SyncRecordKind.LocalUpdate"/> and <see cref="SyncRecordKind.RemoteApplied"/>.</param>
/// <param name="Change">The pending change, for <see cref="SyncRecordKind.LocalUpdate"/>.</param>
/// <param name="Dropped">Oldest pending changes dropped by this update to respect maxPending.</param>
/// <param name="Detail">Why, for a refusal.</param>
/// <param name="ResultChecksum">
/// For a delta <see cref="SyncRecordKind.LocalUpdate"/> read back from a journal that records the change, not the state
/// (<see cref="State"/> null): the checksum the merged state claims. Replay merges the delta over the state before it and
/// verifies the claim once, when the merged state is first needed whole (the end of recovery), not after every delta.
/// </param>
public sealed record SyncRecord(
    SyncRecordKind Kind,
    DateTimeOffset Timestamp,
    long Version,
    SyncState? State = null,
    PendingChange? Change = null,
    int Dropped = 0,
    string Detail = "",
    string? ResultChecksum = null);

/// <summary>Everything an <see cref="EdgeSynchronizer"/> holds, as a store snapshots it.</summary>
/// <param name="Local">The local state, if any.</param>
/// <param name="RemoteVersion">The highest version known to be in the cloud.</param>
/// <param name="Pending">Unconfirmed changes, oldest first.</param>
/// <param name="Counters">Lifetime counters.</param>
/// <param name="History">The newest history events, oldest first (null: none), so a node restored from a snapshot
/// answers <see cref="EdgeSynchronizer.SyncHistory"/> as the one that wrote it.</param>
public sealed record SyncSnapshot(
    SyncState? Local,
    long RemoteVersion,
    IReadOnlyList<PendingChange> Pending,
    SyncCounters Counters,
    IReadOnlyList<SyncEvent>? History = null);

/// <summary>Lifetime counters of a synchronizer.</summary>
public readonly record struct SyncCounters(long LocalUpdates, long RemoteApplied, long RemoteRejected, long ConfirmedChanges, long DroppedChanges);

/// <summary>
/// What a store recovered: the latest snapshot (if any) and the records written after it, in order. The records may be
/// streamed from disk as they are enumerated (bounded memory); the synchronizer enumerates them once.
/// </summary>
public sealed record SyncRecovery(SyncSnapshot? Snapshot, IEnumerable<SyncRecord> Records)
{
    /// <summary>Nothing stored yet.</summary>
    public static readonly SyncRecovery Empty = new(null, []);
}

/// <summary>
/// Durable storage behind an <see cref="EdgeSynchronizer"/>. The synchronizer calls <see cref="Append"/> (and, when
/// <see cref="WantsSnapshot"/>, <see cref="WriteSnapshot"/>) under its writer lock, which readers never take, then
/// <see cref="WaitDurable"/> or <see cref="WaitDurableAsync"/> outside it; only records up to
/// <see cref="DurableSequence"/> become visible, so a store can batch concurrent writers into one flush (group commit).
/// </summary>
public interface ISyncStore : IDisposable
{
    /// <summary>Reads what was stored. Called once, by the synchronizer's constructor.</summary>
    SyncRecovery Recover();

    /// <summary>Writes <paramref name="record"/>. Throws if it cannot; then nothing of it is stored.</summary>
    /// <returns>A sequence number to pass to <see cref="WaitDurable"/>.</returns>
    long Append(SyncRecord record);

    /// <summary>Returns once every record up to <paramref name="sequence"/> is durable. Throws if that failed.</summary>
    void WaitDurable(long sequence);

    /// <summary>
    /// Completes once every record up to <paramref name="sequence"/> is durable, without blocking a thread per waiter
    /// (at most one thread runs the shared flush). Faults if that failed.
    /// </summary>
    ValueTask WaitDurableAsync(long sequence);

    /// <summary>Every record up to this sequence is durable (0: none yet). It never goes back.</summary>
    long DurableSequence { get; }

    /// <summary>True when the store wants a snapshot to compact its journal.</summary>
    bool WantsSnapshot { get; }

    /// <summary>Replaces everything stored with <paramref name="snapshot"/>, the state after the last appended record (called under the synchronizer's writer lock).</summary>
    void WriteSnapshot(SyncSnapshot snapshot);
}
