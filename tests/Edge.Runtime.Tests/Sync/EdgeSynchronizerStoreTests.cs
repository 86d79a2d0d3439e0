using System.Text.Json.Nodes;
using Edge.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Runtime.Tests.Sync;

/// <summary>The synchronizer's side of the <see cref="ISyncStore"/> contract, against an in-memory store.</summary>
public class EdgeSynchronizerStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private sealed class MemoryStore(SyncRecovery? recovery = null) : ISyncStore
    {
        public List<SyncRecord> Records { get; } = [];

        public List<long> Waited { get; } = [];

        public List<SyncSnapshot> Snapshots { get; } = [];

        public bool FailNextAppend { get; set; }

        public bool WantsSnapshot { get; set; }

        public SyncRecovery Recover() => recovery ?? SyncRecovery.Empty;

        public long Append(SyncRecord record)
        {
            if (FailNextAppend)
            {
                FailNextAppend = false;
                throw new IOException("disk full");
            }

            Records.Add(record);
            return Records.Count;
        }

        public long DurableSequence => Records.Count;

        public void WaitDurable(long sequence) => Waited.Add(sequence);

        public ValueTask WaitDurableAsync(long sequence)
        {
            Waited.Add(sequence);
            return ValueTask.CompletedTask;
        }

        public void WriteSnapshot(SyncSnapshot snapshot)
        {
            Snapshots.Add(snapshot);
            WantsSnapshot = false;
        }

        public void Dispose()
        {
        }
    }

    private static void Exercise(EdgeSynchronizer sync)
    {
        sync.UpdateLocal(new JsonObject { ["a"] = 1 });
        sync.UpdateLocal(new JsonObject { ["b"] = 2 }, isDelta: true);
        sync.ApplyRemote(SyncState.FromData(new JsonObject { ["r"] = 1 }, 1, T0));
        sync.ApplyRemote(SyncState.FromData(new JsonObject { ["r"] = 2 }, 9, T0));
        sync.UpdateLocal(new JsonObject { ["c"] = 3 });
        sync.ConfirmSync(9);
    }

    [Test]
    public async Task Every_mutation_is_appended_then_waited_for()
    {
        var store = new MemoryStore();
        var sync = new EdgeSynchronizer(store: store, timeProvider: new FakeTimeProvider(T0));

        Exercise(sync);

        await Assert.That(store.Records.Select(r => r.Kind)).IsEquivalentTo(
            new[] { SyncRecordKind.LocalUpdate, SyncRecordKind.LocalUpdate, SyncRecordKind.RemoteRejected, SyncRecordKind.RemoteApplied, SyncRecordKind.LocalUpdate, SyncRecordKind.Confirmed },
            TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(store.Waited).IsEquivalentTo(new long[] { 1, 2, 3, 4, 5, 6 }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(store.Records[1].Change!.IsDelta).IsTrue();
        await Assert.That(store.Records[1].State!.Data.ToJsonString()).IsEqualTo("""{"a":1,"b":2}""");
    }

    [Test]
    public async Task Reads_and_no_op_confirms_write_nothing()
    {
        var store = new MemoryStore();
        var sync = new EdgeSynchronizer(store: store);

        _ = sync.GetLocalState();
        _ = sync.Summary();
        _ = sync.SyncHistory();
        _ = sync.GetPendingChanges();
        sync.ConfirmSync(5);

        await Assert.That(store.Records.Count).IsEqualTo(0);
    }

    [Test]
    public async Task A_failed_append_leaves_memory_untouched()
    {
        var store = new MemoryStore();
        var sync = new EdgeSynchronizer(store: store);
        sync.UpdateLocal(new JsonObject { ["a"] = 1 });
        var before = sync.Summary();

        store.FailNextAppend = true;
        await Assert.That(() => sync.UpdateLocal(new JsonObject { ["a"] = 2 })).Throws<IOException>();
        store.FailNextAppend = true;
        await Assert.That(() => sync.ApplyRemote(SyncState.FromData([], 7))).Throws<IOException>();

        await Assert.That(sync.Summary()).IsEqualTo(before);
        await Assert.That(sync.GetLocalState()!.Data.GetProperty("a").GetInt32()).IsEqualTo(1);
        await Assert.That(sync.SyncHistory().Count).IsEqualTo(1);
        await Assert.That(sync.UpdateLocal([]).Version).IsEqualTo(2);
    }

    [Test]
    public async Task Replaying_the_records_recovers_the_same_synchronizer()
    {
        var store = new MemoryStore();
        var original = new EdgeSynchronizer(ConflictStrategy.RemoteWins, maxPending: 2, store: store, timeProvider: new FakeTimeProvider(T0));
        Exercise(original);
        original.UpdateLocal(new JsonObject { ["d"] = 4 });
        original.UpdateLocal(new JsonObject { ["e"] = 5 });
        original.UpdateLocal(new JsonObject { ["f"] = 6 });

        var recovered = new EdgeSynchronizer(maxPending: 2, store: new MemoryStore(new SyncRecovery(null, store.Records)));

        await Assert.That(recovered.Summary()).IsEqualTo(original.Summary());
        await Assert.That(recovered.GetLocalState()).IsEqualTo(original.GetLocalState());
        await Assert.That(recovered.GetPendingChanges()).IsEquivalentTo(original.GetPendingChanges(), TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(recovered.SyncHistory(100)).IsEquivalentTo(original.SyncHistory(100), TUnit.Assertions.Enums.CollectionOrdering.Matching);
    }

    [Test]
    public async Task A_snapshot_plus_later_records_recovers_the_same_synchronizer()
    {
        var store = new MemoryStore();
        var original = new EdgeSynchronizer(store: store, timeProvider: new FakeTimeProvider(T0));
        original.UpdateLocal(new JsonObject { ["a"] = 1 });
        store.WantsSnapshot = true;
        original.UpdateLocal(new JsonObject { ["b"] = 2 });
        var afterSnapshot = store.Records.Count;
        original.ConfirmSync(1);
        original.UpdateLocal(new JsonObject { ["c"] = 3 }, isDelta: true);

        await Assert.That(store.Snapshots.Count).IsEqualTo(1);
        await Assert.That(store.Snapshots[0].Local!.Version).IsEqualTo(2);

        var recovered = new EdgeSynchronizer(store: new MemoryStore(new SyncRecovery(store.Snapshots[0], store.Records.Skip(afterSnapshot).ToArray())));

        await Assert.That(recovered.Summary()).IsEqualTo(original.Summary());
        await Assert.That(recovered.GetLocalState()).IsEqualTo(original.GetLocalState());
        await Assert.That(recovered.SyncHistory(100)).IsEquivalentTo(original.SyncHistory(100), TUnit.Assertions.Enums.CollectionOrdering.Matching);
    }
}
