using Edge.Runtime;

namespace Edge.Runtime.Tests.Sync;

/// <summary>
/// An in-memory <see cref="ISyncStore"/> whose durability the test controls: records become durable only when
/// <see cref="MakeDurable"/> says so, and <see cref="Fail"/> faults every record not yet durable (and every later append),
/// as <see cref="FileSyncStore"/> does after a failed fsync.
/// </summary>
internal sealed class GatedStore : ISyncStore
{
    private readonly Lock _gate = new();
    private readonly List<(long Sequence, TaskCompletionSource Done)> _waiters = [];
    private long _appended;
    private long _durable;
    private Exception? _fault;

    public List<SyncRecord> Records { get; } = [];

    /// <summary>Async waiters that found their record not yet durable (each got a pending task, no thread).</summary>
    public int PendingWaits { get; private set; }

    public bool WantsSnapshot => false;

    public long DurableSequence
    {
        get
        {
            lock (_gate)
            {
                return _durable;
            }
        }
    }

    public SyncRecovery Recover() => SyncRecovery.Empty;

    public long Append(SyncRecord record)
    {
        lock (_gate)
        {
            if (_fault is not null)
            {
                throw new IOException("the store is faulted", _fault);
            }

            Records.Add(record);
            return ++_appended;
        }
    }

    public void WaitDurable(long sequence) => WaitDurableAsync(sequence).AsTask().GetAwaiter().GetResult();

    public ValueTask WaitDurableAsync(long sequence)
    {
        lock (_gate)
        {
            if (_durable >= sequence)
            {
                return ValueTask.CompletedTask;
            }

            if (_fault is not null)
            {
                return ValueTask.FromException(new IOException("fsync failed", _fault));
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((sequence, done));
            PendingWaits++;
            return new ValueTask(done.Task);
        }
    }

    /// <summary>Every record up to <paramref name="sequence"/> is durable now.</summary>
    public void MakeDurable(long sequence)
    {
        List<TaskCompletionSource> release;
        lock (_gate)
        {
            _durable = Math.Max(_durable, Math.Min(sequence, _appended));
            release = _waiters.Where(w => w.Sequence <= _durable).Select(w => w.Done).ToList();
            _waiters.RemoveAll(w => w.Sequence <= _durable);
        }

        release.ForEach(d => d.SetResult());
    }

    /// <summary>The flush failed: every record after <see cref="DurableSequence"/> is lost, and the store stops.</summary>
    public void Fail()
    {
        List<TaskCompletionSource> release;
        lock (_gate)
        {
            _fault = new IOException("injected fsync failure");
            release = _waiters.Select(w => w.Done).ToList();
            _waiters.Clear();
        }

        release.ForEach(d => d.SetException(new IOException("fsync failed", _fault)));
    }

    public void WriteSnapshot(SyncSnapshot snapshot)
    {
    }

    public void Dispose()
    {
    }
}
