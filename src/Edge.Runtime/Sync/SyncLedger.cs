namespace Edge.Runtime;

/// <summary>
/// The synchronizer's state machine: it only applies <see cref="SyncRecord"/>s. The live synchronizer and journal
/// recovery both go through <see cref="Apply"/>, which is what makes a recovered node identical to the one that crashed.
/// Not thread-safe; the owner locks.
/// </summary>
internal sealed class SyncLedger
{
    internal const int HistoryCapacity = 256;

    private const string DroppedOne = "dropped 1 oldest pending";

    private readonly List<PendingChange> _pending = [];
    private readonly SyncEvent?[] _history = new SyncEvent?[HistoryCapacity];
    private long _historyCount;
    private SyncCounters _counters;
    private SyncState? _local;

    // Replay of journals that record deltas, not states: the deltas since the last whole state, folded into one (a
    // merge of small objects), merged over that state only when it is needed whole. Its checksum is what the last
    // delta's record claims, verified by CompleteRecovery, so replaying n deltas costs n small merges, not n MD5s of
    // the state.
    private Folded? _folded;

    public SyncState? Local
    {
        get
        {
            if (_folded is { } folded)
            {
                _folded = null;
                var baseBytes = _local?.CanonicalArray ?? "{}"u8.ToArray();
                var baseSegments = _local?.Segments ?? StateSegments.Scan(baseBytes);
                var merged = StateSegments.Merge(baseBytes, baseSegments, folded.Delta, folded.Segments, out var segments);
                _local = new SyncState(merged, folded.Checksum, folded.Version, folded.Timestamp, actualChecksum: null, segments);
            }

            return _local;
        }

        private set
        {
            _folded = null;
            _local = value;
        }
    }

    public long RemoteVersion { get; private set; }

    public IReadOnlyList<PendingChange> Pending => _pending;

    public SyncCounters Counters => _counters;

    public long LocalVersion => _folded?.Version ?? _local?.Version ?? 0;

    public void Restore(SyncSnapshot snapshot)
    {
        Local = snapshot.Local;
        RemoteVersion = snapshot.RemoteVersion;
        _pending.Clear();
        _pending.AddRange(snapshot.Pending);
        _counters = snapshot.Counters;
        Array.Clear(_history);
        _historyCount = 0;
        if (snapshot.History is { } history)
        {
            // Only the newest HistoryCapacity events can be answered anyway.
            for (var i = Math.Max(0, history.Count - HistoryCapacity); i < history.Count; i++)
            {
                AddHistory(history[i]);
            }
        }
    }

    public SyncSnapshot ToSnapshot() => new(Local, RemoteVersion, _pending.ToArray(), _counters, History(HistoryCapacity));

    public void Apply(SyncRecord record)
    {
        switch (record.Kind)
        {
            case SyncRecordKind.LocalUpdate:
                var change = record.Change ?? throw Invalid(record, "has no change");
                if (record.State is { } state)
                {
                    Local = state;
                }
                else if (change.IsDelta && record.ResultChecksum is { } claimed)
                {
                    Fold(change, claimed, record);
                }
                else
                {
                    throw Invalid(record, "has no state");
                }

                _pending.Add(change);
                var dropped = Math.Min(record.Dropped, _pending.Count);
                _pending.RemoveRange(0, dropped);
                _counters = _counters with
                {
                    LocalUpdates = _counters.LocalUpdates + 1,
                    DroppedChanges = _counters.DroppedChanges + dropped,
                };
                AddHistory(new SyncEvent(
                    record.Timestamp,
                    record.Change.IsDelta ? SyncAction.LocalDelta : SyncAction.LocalUpdate,
                    record.Version,
                    dropped switch
                    {
                        0 => "",
                        // A full pending list drops one per update, on both ledgers: the common detail is not formatted anew.
                        1 => DroppedOne,
                        _ => $"dropped {dropped} oldest pending",
                    }));
                break;
            case SyncRecordKind.RemoteApplied:
                Local = record.State ?? throw Invalid(record, "has no state");
                RemoteVersion = Math.Max(RemoteVersion, record.Version);
                _counters = _counters with { RemoteApplied = _counters.RemoteApplied + 1 };
                AddHistory(new SyncEvent(record.Timestamp, SyncAction.RemoteApplied, record.Version, record.Detail));
                break;
            case SyncRecordKind.RemoteRejected:
                _counters = _counters with { RemoteRejected = _counters.RemoteRejected + 1 };
                AddHistory(new SyncEvent(record.Timestamp, SyncAction.RemoteRejected, record.Version, record.Detail));
                break;
            case SyncRecordKind.Confirmed:
                var removed = _pending.RemoveAll(c => c.Version <= record.Version);
                RemoteVersion = Math.Max(RemoteVersion, Math.Min(record.Version, LocalVersion));
                _counters = _counters with { ConfirmedChanges = _counters.ConfirmedChanges + removed };
                AddHistory(new SyncEvent(record.Timestamp, SyncAction.Confirmed, record.Version, $"removed {removed}"));
                break;
            default:
                throw Invalid(record, "has an unknown kind");
        }
    }

    /// <summary>
    /// After replay: builds the state whole and checks its checksum against what the journal claims (one MD5).
    /// </summary>
    /// <exception cref="InvalidDataException">The replayed state's bytes do not hash to the recorded checksum.</exception>
    public void CompleteRecovery()
    {
        if (Local is { } local && !local.Verify())
        {
            throw new InvalidDataException(
                $"Replaying the journal gave state v{local.Version} whose MD5 is {StateChecksum.Compute(local.CanonicalArray)}, " +
                $"but the journal recorded {local.Checksum}: the journal does not describe one consistent history.");
        }
    }

    public int CountConfirmable(long upToVersion)
    {
        var n = 0;
        foreach (var change in _pending)
        {
            if (change.Version <= upToVersion)
            {
                n++;
            }
        }

        return n;
    }

    public IReadOnlyList<SyncEvent> History(int limit)
    {
        var available = (int)Math.Min(_historyCount, HistoryCapacity);
        var count = Math.Clamp(limit, 0, available);
        var result = new SyncEvent[count];
        for (var i = 0; i < count; i++)
        {
            // Oldest first among the newest `count`.
            var index = (_historyCount - count + i) % HistoryCapacity;
            result[i] = _history[index]!;
        }

        return result;
    }

    private void AddHistory(SyncEvent e)
    {
        _history[_historyCount % HistoryCapacity] = e;
        _historyCount++;
    }

    private void Fold(PendingChange change, string checksum, SyncRecord record)
    {
        var delta = change.CanonicalArray;
        var deltaSegments = StateSegments.Scan(delta);
        if (_folded is { } earlier)
        {
            delta = StateSegments.Merge(earlier.Delta, earlier.Segments, delta, deltaSegments, out deltaSegments);
        }

        _folded = new Folded(delta, deltaSegments, checksum, record.Version, record.Timestamp);
    }

    private sealed record Folded(byte[] Delta, StateSegments Segments, string Checksum, long Version, DateTimeOffset Timestamp);

    private static InvalidDataException Invalid(SyncRecord record, string problem) =>
        new($"Sync record {record.Kind} v{record.Version} {problem}.");
}
