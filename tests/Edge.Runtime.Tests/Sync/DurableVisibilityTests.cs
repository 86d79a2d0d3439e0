using System.Text.Json.Nodes;
using Edge.Runtime;
using Microsoft.Extensions.Time.Testing;
using TUnit.Assertions.Enums;

namespace Edge.Runtime.Tests.Sync;

/// <summary>Nothing is visible — to readers, replies or the change feed — before the store says it is durable.</summary>
public class DurableVisibilityTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static (EdgeSynchronizer Sync, GatedStore Store) Create()
    {
        var store = new GatedStore();
        return (new EdgeSynchronizer(store: store, timeProvider: new FakeTimeProvider(T0)), store);
    }

    [Test]
    public async Task Async_update_awaits_durability_without_a_thread_and_is_invisible_until_then()
    {
        var (sync, store) = Create();
        using var feed = sync.Subscribe();

        var update = sync.UpdateLocalAsync(new JsonObject { ["a"] = 1 });

        await Assert.That(update.IsCompleted).IsFalse();
        await Assert.That(store.PendingWaits).IsEqualTo(1);
        await Assert.That(store.Records.Count).IsEqualTo(1);
        await Assert.That(sync.GetLocalState()).IsNull();
        await Assert.That(sync.LocalVersion).IsEqualTo(0);
        await Assert.That(sync.PendingCount).IsEqualTo(0);
        await Assert.That(sync.SyncHistory().Count).IsEqualTo(0);
        await Assert.That(feed.Changes.TryRead(out _)).IsFalse();

        store.MakeDurable(1);
        var state = await update;

        await Assert.That(sync.GetLocalState()).IsSameReferenceAs(state);
        await Assert.That(sync.PendingCount).IsEqualTo(1);
        await Assert.That(feed.Changes.TryRead(out var change)).IsTrue();
        await Assert.That(change!.State).IsSameReferenceAs(state);
        await Assert.That(change.Kind).IsEqualTo(SyncChangeKind.LocalUpdate);
    }

    [Test]
    public async Task Versions_become_visible_in_order_as_far_as_they_are_durable()
    {
        var (sync, store) = Create();
        using var feed = sync.Subscribe();
        var v1 = sync.UpdateLocalAsync(new JsonObject { ["a"] = 1 });
        var v2 = sync.UpdateLocalAsync(new JsonObject { ["b"] = 2 }, isDelta: true);
        var v3 = sync.UpdateLocalAsync(new JsonObject { ["c"] = 3 }, isDelta: true);

        // A writer may build on a version nobody can see yet: the merge is over the head.
        await Assert.That(store.Records[2].State!.Data.ToJsonString()).IsEqualTo("""{"a":1,"b":2,"c":3}""");

        store.MakeDurable(2);
        await v1;
        await v2;
        await Assert.That(v3.IsCompleted).IsFalse();
        await Assert.That(sync.LocalVersion).IsEqualTo(2);
        await Assert.That(sync.GetPendingChanges().Select(p => p.Version)).IsEquivalentTo(new long[] { 1, 2 }, CollectionOrdering.Matching);

        store.MakeDurable(3);
        await v3;
        await Assert.That(Drain(feed).Select(c => c.Version)).IsEquivalentTo(new long[] { 1, 2, 3 }, CollectionOrdering.Matching);
        await Assert.That(sync.GetLocalState()!.Data.ToJsonString()).IsEqualTo("""{"a":1,"b":2,"c":3}""");
    }

    [Test]
    public async Task A_failed_flush_leaves_no_version_built_on_it_visible()
    {
        var (sync, store) = Create();
        using var feed = sync.Subscribe();
        var v1 = sync.UpdateLocalAsync(new JsonObject { ["a"] = 1 });
        var v2 = sync.UpdateLocalAsync(new JsonObject { ["b"] = 2 }, isDelta: true);
        var confirm = sync.ConfirmSyncAsync(2);
        var v3 = sync.UpdateLocalAsync(new JsonObject { ["c"] = 3 }, isDelta: true);
        store.MakeDurable(1);
        store.Fail();

        await v1;
        await Assert.That(async () => await v2).Throws<IOException>();
        await Assert.That(async () => await confirm).Throws<IOException>();
        await Assert.That(async () => await v3).Throws<IOException>();

        await Assert.That(sync.LocalVersion).IsEqualTo(1);
        await Assert.That(sync.RemoteVersion).IsEqualTo(0);
        await Assert.That(sync.GetLocalState()!.Data.ToJsonString()).IsEqualTo("""{"a":1}""");
        await Assert.That(sync.GetPendingChanges().Select(p => p.Version)).IsEquivalentTo(new long[] { 1 }, CollectionOrdering.Matching);
        await Assert.That(sync.SyncHistory().Select(e => e.Version)).IsEquivalentTo(new long[] { 1 }, CollectionOrdering.Matching);
        await Assert.That(Drain(feed).Select(c => c.Version)).IsEquivalentTo(new long[] { 1 }, CollectionOrdering.Matching);

        // The store takes no more writes; the next one changes nothing either (the head was rolled back, not left at v4).
        await Assert.That(() => sync.UpdateLocal(new JsonObject { ["d"] = 4 })).Throws<IOException>();
        await Assert.That(sync.Summary().LocalUpdates).IsEqualTo(1);
        await Assert.That(sync.Snapshot().Local!.Version).IsEqualTo(1);
    }

    [Test]
    public async Task A_synchronous_caller_blocks_until_durable_and_readers_are_not_held_up()
    {
        var (sync, store) = Create();
        var first = sync.UpdateLocalAsync(new JsonObject { ["a"] = 1 });
        store.MakeDurable(1);
        await first;
        using var writing = new ManualResetEventSlim();
        var writer = Task.Run(() =>
        {
            writing.Set();
            return sync.UpdateLocal(new JsonObject { ["b"] = 2 }, isDelta: true);
        });
        writing.Wait();
        while (store.PendingWaits < 2)
        {
            Thread.Yield();
        }

        // The writer is parked in the store's flush; every reader answers at once, with the durable version.
        await Assert.That(sync.LocalVersion).IsEqualTo(1);
        await Assert.That(sync.Summary().LocalVersion).IsEqualTo(1);
        await Assert.That(writer.IsCompleted).IsFalse();

        store.MakeDurable(2);
        var state = await writer;
        await Assert.That(state.Version).IsEqualTo(2);
        await Assert.That(sync.LocalVersion).IsEqualTo(2);
    }

    private static List<SyncChange> Drain(SyncSubscription feed)
    {
        var changes = new List<SyncChange>();
        while (feed.Changes.TryRead(out var change))
        {
            changes.Add(change);
        }

        return changes;
    }
}
