using Edge.Runtime;
using static Edge.Runtime.Tests.Journal.JournalTestKit;

namespace Edge.Runtime.Tests.Journal;

public class ReplayEquivalenceTests
{
    [Test]
    [Arguments(1, JournalDurability.GroupCommit, 0, 0L)]
    [Arguments(2, JournalDurability.PerWrite, 0, 0L)]
    [Arguments(3, JournalDurability.GroupCommit, 7, 0L)]
    [Arguments(4, JournalDurability.PerWrite, 13, 0L)]
    [Arguments(5, JournalDurability.GroupCommit, 1, 0L)]
    [Arguments(6, JournalDurability.GroupCommit, 0, 3000L)]
    public async Task Reopened_node_equals_the_live_one_after_random_operations(int seed, JournalDurability durability, int snapshotEveryRecords, long snapshotEveryBytes)
    {
        var dir = NewDirectory("replay");
        try
        {
            var options = new FileSyncStoreOptions(dir)
            {
                Durability = durability,
                SnapshotEveryRecords = snapshotEveryRecords,
                SnapshotEveryBytes = snapshotEveryBytes,
            };
            var random = new Random(seed);
            var clock = NewClock();
            var strategy = (ConflictStrategy)(seed % 3);
            const int maxPending = 5;
            var live = new EdgeSynchronizer(strategy, maxPending, timeProvider: clock);
            var store = new FileSyncStore(options);
            var durable = new EdgeSynchronizer(strategy, maxPending, store, clock);
            long snapshots = 0;
            long appends = 0;
            var expectSnapshots = snapshotEveryRecords > 0 || snapshotEveryBytes > 0;
            for (var round = 0; round < 5; round++)
            {
                for (var i = 0; i < 70; i++)
                {
                    RandomOperation(random, clock, live, durable);
                }

                await Assert.That(Fingerprint(durable)).IsEqualTo(Fingerprint(live));
                snapshots += store.Counters.Snapshots;
                appends += store.Counters.Appends;
                store.Dispose();

                store = new FileSyncStore(options);
                durable = new EdgeSynchronizer(strategy, maxPending, store, clock);
                if (!expectSnapshots)
                {
                    // Without compaction every record ever appended is replayed from the journal.
                    await Assert.That(store.Counters.RecoveredFrames).IsEqualTo(appends);
                }

                await Assert.That(Fingerprint(durable)).IsEqualTo(Fingerprint(live));
                await Assert.That(store.Counters.TailCorruptions).IsEqualTo(0);
            }

            store.Dispose();
            await Assert.That(snapshots > 0).IsEqualTo(expectSnapshots);

            // Old generations are gone: one journal, at most one snapshot, no temp file.
            var names = Directory.GetFiles(dir).Select(Path.GetFileName).ToArray();
            await Assert.That(names.Count(n => n!.StartsWith("journal-", StringComparison.Ordinal))).IsEqualTo(1);
            await Assert.That(names.Contains(FileSyncStore.SnapshotTempFileName)).IsFalse();
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task Clr_doubles_keep_their_checksum_through_the_journal()
    {
        // 1.0 as a CLR double is "1.0" in the canonical form; written as plain JSON it would come back as the integer 1.
        var dir = NewDirectory("doubles");
        try
        {
            var options = new FileSyncStoreOptions(dir);
            var data = new System.Text.Json.Nodes.JsonObject { ["a"] = 1.0, ["b"] = 2.5f, ["c"] = 3m, ["d"] = 1e16, ["e"] = -0.0 };
            SyncState written;
            using (var store = new FileSyncStore(options))
            {
                written = new EdgeSynchronizer(store: store).UpdateLocal(data);
            }

            using (var store = new FileSyncStore(options))
            {
                var read = new EdgeSynchronizer(store: store).GetLocalState()!;
                await Assert.That(read.Checksum).IsEqualTo(written.Checksum);
                await Assert.That(read.Verify()).IsTrue();
                await Assert.That(read.Canonical.Text()).IsEqualTo(written.Canonical.Text());
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }
}
