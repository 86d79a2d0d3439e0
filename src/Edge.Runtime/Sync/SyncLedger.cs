namespace Edge.Runtime;

/// <summary>
/// The synchronizer's state machine: it only applies <see cref="SyncRecord"/>s. The live synchronizer and journal
/// recovery both go through <see cref="Apply"/>, which is what makes a recovered node identical to the one that crashed.
/// Not thread-safe; the owner locks.
/// </summary>
internal sealed class SyncLedger
{
    internal const int HistoryCapacity = 256;

    private readonly List<PendingChange> _pending = [];
    private readonly SyncEvent?[] _history = new SyncEvent?[HistoryCapacity];
    private long _historyCount;
    private SyncCounters _counters;

    public SyncState? Local { get; private set; }

    public long RemoteVersion { get; private set; }

    public IReadOnlyList<PendingChange> Pending => _pending;

    public SyncCounters Counters => _counters;

    public long LocalVersion => Local?.Version ?? 0;

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
                Local = record.State ?? throw Invalid(record, "has no state");
                _pending.Add(record.Change ?? throw Invalid(record, "has no change"));
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
                    dropped > 0 ? $"dropped {dropped} oldest pending" : ""));
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

    private static InvalidDataException Invalid(SyncRecord record, string problem) =>
        new($"Sync record {record.Kind} v{record.Version} {problem}.");
}
