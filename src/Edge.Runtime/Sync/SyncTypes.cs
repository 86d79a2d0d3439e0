using System.Text.Json.Nodes;

namespace Edge.Runtime;

/// <summary>How <see cref="EdgeSynchronizer.ApplyRemote(SyncState)"/> settles a newer remote state while local changes are unconfirmed.</summary>
public enum ConflictStrategy
{
    /// <summary>The remote state replaces local state.</summary>
    RemoteWins,

    /// <summary>Local state is kept while it has unconfirmed changes.</summary>
    LocalWins,

    /// <summary>The state with the later <see cref="SyncState.UpdatedAt"/> wins.</summary>
    LatestWins,
}

/// <summary>A local change not yet confirmed by the cloud.</summary>
/// <param name="Type"><see cref="FullType"/> (<c>"update"</c>, the reference module's value) or <see cref="DeltaType"/> (<c>"delta"</c>).</param>
/// <param name="Version">The local version this change produced.</param>
/// <param name="Data">The full state, or only the changed top-level keys for a delta. Treat as read-only.</param>
/// <param name="Timestamp">When the change was made (UTC).</param>
/// <param name="IsDelta">True for a delta change.</param>
public sealed record PendingChange(string Type, long Version, JsonObject Data, DateTimeOffset Timestamp, bool IsDelta)
{
    /// <summary>
    /// The <see cref="Type"/> of a full update: <c>"update"</c>, as the reference module writes it. Journals written
    /// before this value stored <c>"full"</c>; they read back as <c>"update"</c> (the type follows <see cref="IsDelta"/>).
    /// </summary>
    public const string FullType = "update";

    /// <summary>The <see cref="Type"/> of a delta update.</summary>
    public const string DeltaType = "delta";
}

/// <summary>What a <see cref="SyncEvent"/> records.</summary>
public enum SyncAction
{
    /// <summary>A local full update.</summary>
    LocalUpdate,

    /// <summary>A local delta update.</summary>
    LocalDelta,

    /// <summary>A remote state was applied.</summary>
    RemoteApplied,

    /// <summary>A remote state was refused.</summary>
    RemoteRejected,

    /// <summary>Pending changes were confirmed.</summary>
    Confirmed,
}

/// <summary>One entry of the synchronizer's history.</summary>
/// <param name="Timestamp">When it happened (UTC).</param>
/// <param name="Action">What happened.</param>
/// <param name="Version">The version involved (the confirmed-up-to version for <see cref="SyncAction.Confirmed"/>).</param>
/// <param name="Detail">Why, for refusals; what, otherwise.</param>
public sealed record SyncEvent(DateTimeOffset Timestamp, SyncAction Action, long Version, string Detail);

/// <summary>A snapshot of the synchronizer's counters.</summary>
public sealed record SyncSummary(
    long LocalVersion,
    long RemoteVersion,
    int PendingCount,
    bool IsSynced,
    ConflictStrategy Strategy,
    long LocalUpdates,
    long RemoteApplied,
    long RemoteRejected,
    long ConfirmedChanges,
    long DroppedChanges);
