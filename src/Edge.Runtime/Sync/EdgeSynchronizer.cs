using System.Text.Json;
using System.Text.Json.Nodes;

namespace Edge.Runtime;

/// <summary>
/// Keeps a node's state and its unconfirmed local changes, and settles remote states by version and
/// <see cref="ConflictStrategy"/>. Every member is thread-safe. With an <see cref="ISyncStore"/>, every mutation is
/// durable before the call returns, and construction recovers the stored state exactly (one exception: the refusal of
/// a remote state whose version is outside <see cref="SyncState.MinVersion"/>..<see cref="SyncState.MaxVersion"/> is
/// counted and in the history, but not journaled). Versions are bounded so they never wrap: see <see cref="SyncState.MaxVersion"/>.
/// </summary>
/// <remarks>
/// <para>Two ledgers apply the same records in the same order. Writers take the writer lock, build the next record
/// from the head ledger (every appended record) and append it to the store; readers take the read lock and see the
/// published ledger (durable records only). No I/O happens under the read lock, and a version is visible — to readers,
/// to replies and on the change feed (<see cref="Subscribe"/>) — only once it is durable. If the store fails to make a
/// record durable, that record and every later one are dropped from the head: nothing built on it ever shows.</para>
/// <para>The async forms (<see cref="UpdateLocalAsync(JsonObject, bool)"/> and the rest) await durability without
/// blocking a thread per caller; the synchronous forms block the calling thread until the store has flushed.</para>
/// </remarks>
public sealed class EdgeSynchronizer
{
    // Lock order: _writeLock, then _lock.
    private readonly Lock _writeLock = new();
    private readonly Lock _lock = new();
    private readonly SyncLedger _head = new();
    private readonly SyncLedger _ledger = new();
    private readonly Queue<Appended> _unpublished = new();
    private readonly ISyncStore? _store;
    private readonly TimeProvider _time;
    private SyncSubscription[] _subscribers = [];
    private long _lastSequence;

    /// <summary>Creates a synchronizer, recovering from <paramref name="store"/> when one is given.</summary>
    /// <param name="strategy">How conflicts with newer remote states are settled.</param>
    /// <param name="maxPending">How many unconfirmed changes are kept; beyond it the oldest are dropped and counted.</param>
    /// <param name="store">Durable storage; null keeps state in memory only.</param>
    /// <param name="timeProvider">The clock; <see cref="TimeProvider.System"/> by default.</param>
    public EdgeSynchronizer(
        ConflictStrategy strategy = ConflictStrategy.RemoteWins,
        int maxPending = 100,
        ISyncStore? store = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxPending, 1);
        Strategy = strategy;
        MaxPending = maxPending;
        _store = store;
        _time = timeProvider ?? TimeProvider.System;

        if (store is not null)
        {
            var recovery = store.Recover();
            if (recovery.Snapshot is not null)
            {
                _head.Restore(recovery.Snapshot);
            }

            foreach (var record in recovery.Records)
            {
                _head.Apply(record);
            }

            _head.CompleteRecovery();
            _ledger.Restore(_head.ToSnapshot());
            _lastSequence = store.DurableSequence;
        }
    }

    /// <summary>The conflict strategy.</summary>
    public ConflictStrategy Strategy { get; }

    /// <summary>The most unconfirmed changes kept.</summary>
    public int MaxPending { get; }

    /// <summary>The local version (0 before the first update).</summary>
    public long LocalVersion
    {
        get
        {
            lock (_lock)
            {
                return _ledger.LocalVersion;
            }
        }
    }

    /// <summary>The highest version known to be in the cloud: applied from it, or confirmed by it.</summary>
    public long RemoteVersion
    {
        get
        {
            lock (_lock)
            {
                return _ledger.RemoteVersion;
            }
        }
    }

    /// <summary>How many local changes await confirmation.</summary>
    public int PendingCount
    {
        get
        {
            lock (_lock)
            {
                return _ledger.Pending.Count;
            }
        }
    }

    /// <summary>True when nothing is pending and the cloud has the local version.</summary>
    public bool IsSynced
    {
        get
        {
            lock (_lock)
            {
                return IsSyncedUnlocked();
            }
        }
    }

    /// <summary>Makes a new local version: the full <paramref name="data"/>, or its top-level keys merged over the current state when <paramref name="isDelta"/>.</summary>
    /// <param name="data">The data (read once, never kept).</param>
    /// <param name="isDelta">Merge the top-level keys over the current state instead of replacing it.</param>
    /// <returns>The new local state, durable and visible.</returns>
    /// <exception cref="ArgumentException"><paramref name="data"/> holds NaN or an infinity; nothing was changed.</exception>
    /// <exception cref="SyncVersionExhaustedException">The local version is already <see cref="SyncState.MaxVersion"/>; nothing was changed.</exception>
    public SyncState UpdateLocal(JsonObject data, bool isDelta = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        return Update(CanonicalJson.CanonicalizeNode(data), isDelta);
    }

    /// <summary>As <see cref="UpdateLocal(JsonObject, bool)"/>, from a JSON element (an object).</summary>
    /// <exception cref="ArgumentException"><paramref name="data"/> is not a JSON object.</exception>
    public SyncState UpdateLocal(JsonElement data, bool isDelta = false) => Update(SyncState.CanonicalizeElement(data), isDelta);

    /// <summary>As <see cref="UpdateLocal(JsonObject, bool)"/>, from UTF-8 JSON text (one object), canonicalized straight from the text.</summary>
    /// <exception cref="ArgumentException">The text is not one JSON object, is malformed, or holds duplicate keys or invalid UTF-8.</exception>
    public SyncState UpdateLocalJson(ReadOnlySpan<byte> utf8Json, bool isDelta = false) => Update(CanonicalJson.CanonicalizeObject(utf8Json), isDelta);

    /// <summary>As <see cref="UpdateLocal(JsonObject, bool)"/>, awaiting durability without blocking a thread.</summary>
    public ValueTask<SyncState> UpdateLocalAsync(JsonObject data, bool isDelta = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        return UpdateAsync(CanonicalJson.CanonicalizeNode(data), isDelta);
    }

    /// <summary>As <see cref="UpdateLocal(JsonElement, bool)"/>, awaiting durability without blocking a thread.</summary>
    public ValueTask<SyncState> UpdateLocalAsync(JsonElement data, bool isDelta = false) => UpdateAsync(SyncState.CanonicalizeElement(data), isDelta);

    /// <summary>As <see cref="UpdateLocalJson"/>, awaiting durability without blocking a thread.</summary>
    public ValueTask<SyncState> UpdateLocalJsonAsync(ReadOnlyMemory<byte> utf8Json, bool isDelta = false) => UpdateAsync(CanonicalJson.CanonicalizeObject(utf8Json.Span), isDelta);

    private SyncState Update(byte[] change, bool isDelta)
    {
        var sequence = BeginUpdate(change, isDelta, out var state);
        Complete(sequence);
        return state;
    }

    private async ValueTask<SyncState> UpdateAsync(byte[] change, bool isDelta)
    {
        var sequence = BeginUpdate(change, isDelta, out var state);
        await CompleteAsync(sequence).ConfigureAwait(false);
        return state;
    }

    /// <summary>
    /// Appends a change given as canonical bytes. A full update's state and pending change share those bytes (hashed
    /// once, before the lock); a delta's merged bytes are assembled from the current state's kept members and hashed once.
    /// </summary>
    private long BeginUpdate(byte[] change, bool isDelta, out SyncState state)
    {
        var changeChecksum = isDelta ? null : StateChecksum.Compute(change);
        lock (_writeLock)
        {
            if (_head.LocalVersion >= SyncState.MaxVersion)
            {
                // >=: a data directory written before versions were bounded may hold a larger one; never wrap past it.
                throw new SyncVersionExhaustedException(_head.LocalVersion);
            }

            var now = _time.GetUtcNow();
            var version = _head.LocalVersion + 1;
            if (isDelta && _head.Local is { } current)
            {
                var merged = StateSegments.Merge(current.CanonicalArray, current.Segments, change, StateSegments.Scan(change), out var segments);
                var checksum = StateChecksum.Compute(merged);
                state = new SyncState(merged, checksum, version, now, checksum, segments);
            }
            else
            {
                var checksum = changeChecksum ?? StateChecksum.Compute(change);
                state = new SyncState(change, checksum, version, now, checksum);
            }

            var pending = isDelta
                ? new PendingChange(PendingChange.DeltaType, version, change, now, isDelta: true, ReferenceEquals(state.CanonicalArray, change) ? state.Checksum : null)
                : new PendingChange(PendingChange.FullType, version, change, now, isDelta: false, state.Checksum);
            var dropped = Math.Max(0, _head.Pending.Count + 1 - MaxPending);
            return Append(new SyncRecord(SyncRecordKind.LocalUpdate, now, version, state, pending, dropped));
        }
    }

    /// <summary>
    /// Applies a remote state when its version is within <see cref="SyncState.MinVersion"/>..<see cref="SyncState.MaxVersion"/>,
    /// its checksum verifies, its version is newer than the local one, and the conflict strategy allows it (a conflict
    /// exists only while local changes are unconfirmed).
    /// </summary>
    /// <returns>True when applied; the history says why when not.</returns>
    /// <remarks>
    /// A state whose version is out of range is refused before anything is written: the refusal is counted and is in
    /// <see cref="SyncHistory"/>, but it is not journaled, so a node reopened from its store does not list it.
    /// </remarks>
    public bool ApplyRemote(SyncState remote) => ApplyRemote(remote, out _);

    /// <summary>As <see cref="ApplyRemote(SyncState)"/>, with the reason for a refusal.</summary>
    /// <param name="remote">The remote state.</param>
    /// <param name="reason">Why the state was refused (the detail of its history event); empty when it was applied.</param>
    /// <returns>True when applied.</returns>
    public bool ApplyRemote(SyncState remote, out string reason)
    {
        var sequence = BeginApplyRemote(remote, out var applied, out reason);
        Complete(sequence);
        return applied;
    }

    /// <summary>As <see cref="ApplyRemote(SyncState, out string)"/>, awaiting durability without blocking a thread.</summary>
    /// <param name="remote">The remote state.</param>
    /// <returns>Whether it was applied, and why not.</returns>
    public async ValueTask<RemoteApplyResult> ApplyRemoteAsync(SyncState remote)
    {
        var sequence = BeginApplyRemote(remote, out var applied, out var reason);
        await CompleteAsync(sequence).ConfigureAwait(false);
        return new RemoteApplyResult(applied, reason);
    }

    private long BeginApplyRemote(SyncState remote, out bool applied, out string reason)
    {
        ArgumentNullException.ThrowIfNull(remote);
        lock (_writeLock)
        {
            var now = _time.GetUtcNow();
            if (remote.Version is < SyncState.MinVersion or > SyncState.MaxVersion)
            {
                // Not journaled: a state no peer should have sent changes nothing, so it costs no write.
                reason = $"version {remote.Version} is outside {SyncState.MinVersion}..{SyncState.MaxVersion}";
                applied = false;
                return Append(new SyncRecord(SyncRecordKind.RemoteRejected, now, remote.Version, Detail: reason), journaled: false);
            }

            var refusal = Refusal(remote);
            applied = refusal is null;
            reason = refusal ?? "";
            var record = applied
                // The state is immutable: kept as it arrived (its bytes, its verified checksum), only the time in UTC.
                ? new SyncRecord(SyncRecordKind.RemoteApplied, now, remote.Version,
                    remote.UpdatedAt.Offset == TimeSpan.Zero ? remote : remote with { UpdatedAt = remote.UpdatedAt.ToUniversalTime() })
                : new SyncRecord(SyncRecordKind.RemoteRejected, now, remote.Version, Detail: refusal!);
            return Append(record);
        }
    }

    /// <summary>A copy of the unconfirmed changes, oldest first.</summary>
    public IReadOnlyList<PendingChange> GetPendingChanges()
    {
        lock (_lock)
        {
            return _ledger.Pending.ToArray();
        }
    }

    /// <summary>Removes pending changes with versions up to <paramref name="upToVersion"/>: the cloud has them.</summary>
    /// <returns>How many were removed.</returns>
    /// <remarks>
    /// Any <see cref="long"/> is accepted. Zero or a negative <paramref name="upToVersion"/> confirms nothing (every
    /// version is at least <see cref="SyncState.MinVersion"/>): it returns 0 and writes nothing. A value beyond the local
    /// version confirms everything and advances <see cref="RemoteVersion"/> only up to the local version.
    /// </remarks>
    public int ConfirmSync(long upToVersion)
    {
        var sequence = BeginConfirm(upToVersion, out var removed);
        Complete(sequence);
        return removed;
    }

    /// <summary>As <see cref="ConfirmSync"/>, awaiting durability without blocking a thread.</summary>
    public async ValueTask<int> ConfirmSyncAsync(long upToVersion)
    {
        var sequence = BeginConfirm(upToVersion, out var removed);
        await CompleteAsync(sequence).ConfigureAwait(false);
        return removed;
    }

    private long BeginConfirm(long upToVersion, out int removed)
    {
        lock (_writeLock)
        {
            removed = _head.CountConfirmable(upToVersion);
            var advancesRemote = Math.Min(upToVersion, _head.LocalVersion) > _head.RemoteVersion;
            if (removed == 0 && !advancesRemote)
            {
                // Nothing to write; still wait for what came before, so the caller never sees an older state after.
                return _lastSequence;
            }

            return Append(new SyncRecord(SyncRecordKind.Confirmed, _time.GetUtcNow(), upToVersion));
        }
    }

    /// <summary>The current local state, or null before the first update. The state is immutable: no copy is made.</summary>
    public SyncState? GetLocalState()
    {
        lock (_lock)
        {
            return _ledger.Local;
        }
    }

    /// <summary>The newest <paramref name="limit"/> history events, oldest first.</summary>
    public IReadOnlyList<SyncEvent> SyncHistory(int limit = 20)
    {
        lock (_lock)
        {
            return _ledger.History(limit);
        }
    }

    /// <summary>Versions, pending count and lifetime counters in one consistent read.</summary>
    public SyncSummary Summary()
    {
        lock (_lock)
        {
            var c = _ledger.Counters;
            return new SyncSummary(
                _ledger.LocalVersion,
                _ledger.RemoteVersion,
                _ledger.Pending.Count,
                IsSyncedUnlocked(),
                Strategy,
                c.LocalUpdates,
                c.RemoteApplied,
                c.RemoteRejected,
                c.ConfirmedChanges,
                c.DroppedChanges);
        }
    }

    /// <summary>Everything held, as one consistent snapshot.</summary>
    public SyncSnapshot Snapshot()
    {
        lock (_lock)
        {
            return _ledger.ToSnapshot();
        }
    }

    private bool IsSyncedUnlocked() => _ledger.Pending.Count == 0 && _ledger.RemoteVersion >= _ledger.LocalVersion;

    private string? Refusal(SyncState remote)
    {
        if (!remote.Verify())
        {
            return $"checksum mismatch for version {remote.Version}";
        }

        if (_head.Local is not { } local)
        {
            return null;
        }

        if (remote.Version <= local.Version)
        {
            return $"version {remote.Version} is not newer than local version {local.Version}";
        }

        if (_head.Pending.Count == 0)
        {
            return null;
        }

        return Strategy switch
        {
            ConflictStrategy.RemoteWins => null,
            ConflictStrategy.LocalWins => $"local has {_head.Pending.Count} unconfirmed changes (LocalWins)",
            ConflictStrategy.LatestWins when remote.UpdatedAt > local.UpdatedAt => null,
            _ => $"remote updatedAt {remote.UpdatedAt:O} is not later than local {local.UpdatedAt:O} (LatestWins)",
        };
    }

    /// <summary>Subscribes to the change feed: every change committed from now on, once durable, in order.</summary>
    /// <returns>The subscription; dispose it to stop.</returns>
    public SyncSubscription Subscribe()
    {
        lock (_lock)
        {
            var subscription = new SyncSubscription(_ledger.Local, Unsubscribe);
            _subscribers = [.. _subscribers, subscription];
            return subscription;
        }
    }

    private void Unsubscribe(SyncSubscription subscription)
    {
        lock (_lock)
        {
            _subscribers = Array.FindAll(_subscribers, s => !ReferenceEquals(s, subscription));
        }
    }

    /// <summary>
    /// Under the writer lock: writes the record to the store (if any; a failed write changes nothing), applies it to the
    /// head and queues it for publication once durable.
    /// </summary>
    /// <param name="record">The record.</param>
    /// <param name="journaled">False for a record kept in memory only: it is published right after the record before it.</param>
    private long Append(SyncRecord record, bool journaled = true)
    {
        var sequence = !journaled ? _lastSequence : _store?.Append(record) ?? _lastSequence + 1;
        _head.Apply(record);
        _lastSequence = sequence;
        lock (_lock)
        {
            _unpublished.Enqueue(new Appended(sequence, record));
        }

        if (_store is { WantsSnapshot: true })
        {
            _store.WriteSnapshot(_head.ToSnapshot());
        }

        return sequence;
    }

    /// <summary>Waits (blocking) until the record at <paramref name="sequence"/> is durable, then publishes it.</summary>
    private void Complete(long sequence)
    {
        if (_store is not null)
        {
            try
            {
                _store.WaitDurable(sequence);
            }
            catch
            {
                Abandon();
                throw;
            }
        }

        Publish();
    }

    /// <summary>Awaits the durability of the record at <paramref name="sequence"/>, then publishes it.</summary>
    private async ValueTask CompleteAsync(long sequence)
    {
        if (_store is not null)
        {
            try
            {
                await _store.WaitDurableAsync(sequence).ConfigureAwait(false);
            }
            catch
            {
                Abandon();
                throw;
            }
        }

        Publish();
    }

    /// <summary>Applies every durable queued record to the published ledger, in order, and announces it.</summary>
    private void Publish()
    {
        lock (_lock)
        {
            PublishDurable();
        }
    }

    /// <summary>Under <see cref="_lock"/>.</summary>
    private void PublishDurable()
    {
        var durable = _store?.DurableSequence ?? long.MaxValue;
        while (_unpublished.TryPeek(out var next) && next.Sequence <= durable)
        {
            _unpublished.Dequeue();
            _ledger.Apply(next.Record);
            Announce(next.Record);
        }
    }

    /// <summary>
    /// The store could not make a record durable (and takes no more writes): publish what is durable, and drop the rest
    /// from the head, so no version built on the failed one ever becomes visible.
    /// </summary>
    private void Abandon()
    {
        lock (_writeLock)
        {
            lock (_lock)
            {
                PublishDurable();
                if (_unpublished.Count > 0)
                {
                    _unpublished.Clear();
                    _head.Restore(_ledger.ToSnapshot());
                    _lastSequence = _store!.DurableSequence;
                }
            }
        }
    }

    /// <summary>Under <see cref="_lock"/>, right after the published ledger applied <paramref name="record"/>.</summary>
    private void Announce(SyncRecord record)
    {
        var subscribers = _subscribers;
        if (subscribers.Length == 0 || record.Kind == SyncRecordKind.RemoteRejected || _ledger.Local is not { } state)
        {
            return;
        }

        var kind = record.Kind switch
        {
            SyncRecordKind.LocalUpdate => SyncChangeKind.LocalUpdate,
            SyncRecordKind.RemoteApplied => SyncChangeKind.RemoteApplied,
            _ => SyncChangeKind.Confirmed,
        };
        var change = new SyncChange(kind, state, record.Kind == SyncRecordKind.LocalUpdate ? record.Change : null, _ledger.RemoteVersion, _ledger.Pending.Count);
        foreach (var subscriber in subscribers)
        {
            subscriber.Post(change);
        }
    }

    private readonly record struct Appended(long Sequence, SyncRecord Record);
}
