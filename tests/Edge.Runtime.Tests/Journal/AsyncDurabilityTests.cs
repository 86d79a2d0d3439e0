using System.Text.Json.Nodes;
using Edge.Runtime;
using TUnit.Assertions.Enums;
using static Edge.Runtime.Tests.Journal.JournalTestKit;

namespace Edge.Runtime.Tests.Journal;

/// <summary>
/// WaitDurableAsync: a waiter behind an fsync under way holds no thread, is completed by the flush that covers it, and
/// shares that fsync with every other waiter; a failed fsync faults them all and shows none of their versions.
/// </summary>
public class AsyncDurabilityTests
{
    private const int Followers = 50;

    [Test]
    public async Task Waiters_behind_a_flush_under_way_hold_no_thread_and_share_the_next_fsync()
    {
        var dir = NewDirectory("async-durable");
        try
        {
            var fs = new FailingFileSystem();
            using var store = new FileSyncStore(new FileSyncStoreOptions(dir) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 0 }, fs);
            var sync = new EdgeSynchronizer(maxPending: 1000, store: store);
            using var gate = new ManualResetEventSlim(false);
            fs.FlushGate = gate;
            var fsyncsBefore = store.Counters.Fsyncs;

            var leader = Task.Run(async () => await sync.UpdateLocalAsync(new JsonObject { ["n"] = 0 }, isDelta: true));
            await Assert.That(await fs.FlushEntered.WaitAsync(TimeSpan.FromMinutes(1))).IsTrue();

            // The leader is stuck in its fsync. Fifty more updates are appended from this one thread, and each hands
            // back a task still running: nobody blocks on the disk but the leader.
            var followers = new List<Task<SyncState>>();
            for (var i = 1; i <= Followers; i++)
            {
                followers.Add(sync.UpdateLocalAsync(new JsonObject { ["n"] = i }, isDelta: true).AsTask());
            }

            await Assert.That(followers.Count(t => t.IsCompleted)).IsEqualTo(0);
            await Assert.That(leader.IsCompleted).IsFalse();
            await Assert.That(sync.LocalVersion).IsEqualTo(0);
            await Assert.That(store.DurableSequence).IsEqualTo(0);

            gate.Set();
            var states = await Task.WhenAll(followers);
            var first = await leader;

            await Assert.That(first.Version).IsEqualTo(1);
            await Assert.That(states.Select(s => s.Version)).IsEquivalentTo(Enumerable.Range(2, Followers).Select(v => (long)v), CollectionOrdering.Matching);
            // One fsync for the leader's record, one for all fifty that arrived while it ran.
            await Assert.That(store.Counters.Fsyncs - fsyncsBefore).IsEqualTo(2);
            await Assert.That(sync.LocalVersion).IsEqualTo(Followers + 1);
            await Assert.That(sync.GetLocalState()!.Data.GetProperty("n").GetInt32()).IsEqualTo(Followers);
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task A_failed_shared_fsync_faults_every_parked_waiter_and_shows_none_of_their_versions()
    {
        var dir = NewDirectory("async-fault");
        try
        {
            var fs = new FailingFileSystem();
            using var store = new FileSyncStore(new FileSyncStoreOptions(dir) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 0 }, fs);
            var sync = new EdgeSynchronizer(maxPending: 1000, store: store);
            using var gate = new ManualResetEventSlim(false);
            fs.FlushGate = gate;

            var leader = Task.Run(async () => await sync.UpdateLocalAsync(new JsonObject { ["n"] = 0 }));
            await Assert.That(await fs.FlushEntered.WaitAsync(TimeSpan.FromMinutes(1))).IsTrue();
            var followers = Enumerable.Range(1, Followers).Select(i => sync.UpdateLocalAsync(new JsonObject { ["n"] = i }).AsTask()).ToList();

            // The leader's fsync is past its failure check; the next one, which would cover the followers, fails.
            fs.FailOn = JournalIo.Flush;
            gate.Set();
            await Assert.That((await leader).Version).IsEqualTo(1);
            foreach (var follower in followers)
            {
                var e = await Assert.That(async () => await follower).Throws<JournalWriteException>();
                await Assert.That(e!.Message).Contains("could not be made durable");
            }

            await Assert.That(store.FaultReason).IsNotNull();
            await Assert.That(sync.LocalVersion).IsEqualTo(1);
            await Assert.That(sync.GetLocalState()!.Data.GetProperty("n").GetInt32()).IsEqualTo(0);
            await Assert.That(async () => await sync.UpdateLocalAsync(new JsonObject { ["n"] = -1 })).Throws<JournalFaultedException>();
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }
}
