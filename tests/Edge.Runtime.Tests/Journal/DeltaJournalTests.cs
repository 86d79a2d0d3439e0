using System.Text;
using System.Text.Json.Nodes;
using Edge.Runtime;
using static Edge.Runtime.Tests.Journal.JournalTestKit;

namespace Edge.Runtime.Tests.Journal;

/// <summary>Format 2 journals the change, not the state, and compacts by a policy tied to the state's size.</summary>
public class DeltaJournalTests
{
    private static JsonObject BigState(int keys, int valueBytes)
    {
        var state = new JsonObject();
        for (var i = 0; i < keys; i++)
        {
            state[$"key{i:D5}"] = new string((char)('a' + (i % 26)), valueBytes);
        }

        return state;
    }

    private static long JournalBytes(string dir) =>
        Directory.GetFiles(dir, "journal-*.log").Sum(f => new FileInfo(f).Length) + Directory.GetFiles(dir, "snapshot.bin").Sum(f => new FileInfo(f).Length);

    [Test]
    public async Task Small_deltas_on_a_1_MB_state_cost_their_size_plus_at_most_256_bytes_with_snapshots_amortized()
    {
        var dir = NewDirectory("delta-bytes");
        try
        {
            using var store = new FileSyncStore(new FileSyncStoreOptions(dir));
            var sync = new EdgeSynchronizer(maxPending: 100, store: store);
            sync.UpdateLocal(BigState(1024, 1000));
            var stateBytes = sync.GetLocalState()!.Canonical.Length;
            await Assert.That(stateBytes).IsGreaterThan(1_000_000);
            var before = JournalBytes(dir);

            // Enough deltas that the policy (journal >= 4x the state) compacts at least once on the way.
            const int Deltas = 40_000;
            long deltaBytes = 0;
            for (var i = 0; i < Deltas; i++)
            {
                var delta = new JsonObject { [$"key{i % 1024:D5}"] = i };
                deltaBytes += Encoding.UTF8.GetByteCount(delta.ToJsonString());
                sync.UpdateLocal(delta, isDelta: true);
            }

            var written = JournalBytes(dir) - before + (store.Counters.Snapshots * (long)stateBytes);
            var perDelta = (double)written / Deltas;
            Console.WriteLine($"{Deltas} deltas on a {stateBytes} B state: {store.Counters.Snapshots} snapshots, {perDelta:F1} B journaled per delta (delta text {deltaBytes / (double)Deltas:F1} B)");
            await Assert.That(store.Counters.Snapshots).IsGreaterThanOrEqualTo(1);
            await Assert.That(perDelta).IsLessThanOrEqualTo((deltaBytes / (double)Deltas) + 256);
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task A_delta_record_replays_to_the_same_state_and_a_false_checksum_refuses_to_open()
    {
        var dir = NewDirectory("delta-verify");
        try
        {
            var clock = NewClock();
            string expected;
            using (var store = new FileSyncStore(new FileSyncStoreOptions(dir)))
            {
                var sync = new EdgeSynchronizer(store: store, timeProvider: clock);
                sync.UpdateLocal(BigState(50, 20));
                for (var i = 0; i < 200; i++)
                {
                    clock.Advance(TimeSpan.FromSeconds(1));
                    sync.UpdateLocal(new JsonObject { [$"key{i % 60:D5}"] = i * 0.5 }, isDelta: true);
                }

                expected = Fingerprint(sync);
            }

            using (var store = new FileSyncStore(new FileSyncStoreOptions(dir)))
            {
                await Assert.That(Fingerprint(new EdgeSynchronizer(store: store))).IsEqualTo(expected);

                // A delta whose recorded result checksum is not the merge's: the journal lies, and opening must say so.
                var current = SyncState.FromData(new JsonObject { ["x"] = 1 }, 999, clock.GetUtcNow());
                var lie = SyncState.FromData(new JsonObject { ["y"] = 2 }, 999, clock.GetUtcNow());
                store.WaitDurable(store.Append(new SyncRecord(
                    SyncRecordKind.LocalUpdate, clock.GetUtcNow(), 999, current with { Checksum = lie.Checksum },
                    new PendingChange("delta", 999, JsonDocumentOf("""{"x": 1}"""), clock.GetUtcNow(), IsDelta: true))));
            }

            using (var store = new FileSyncStore(new FileSyncStoreOptions(dir)))
            {
                var e = await Assert.That(() => new EdgeSynchronizer(store: store)).Throws<InvalidDataException>();
                await Assert.That(e!.Message).Contains("v999");
                await Assert.That(e.Message).Contains("does not describe one consistent history");
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task Compaction_waits_for_the_floor_and_the_state_multiple_and_the_record_cap_bounds_it()
    {
        // A tiny state: the floor keeps it from compacting every few writes.
        var tiny = NewDirectory("policy-tiny");
        var big = NewDirectory("policy-big");
        var capped = NewDirectory("policy-cap");
        try
        {
            using (var store = new FileSyncStore(new FileSyncStoreOptions(tiny) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 64 * 1024 }))
            {
                var sync = new EdgeSynchronizer(store: store);
                for (var i = 0; i < 300; i++)
                {
                    sync.UpdateLocal(new JsonObject { ["i"] = i });
                }

                await Assert.That(store.Counters.Snapshots).IsEqualTo(0);
            }

            // A 100 KB state: no snapshot before the journal is 4x the state, one once it is.
            using (var store = new FileSyncStore(new FileSyncStoreOptions(big) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 1024 }))
            {
                var sync = new EdgeSynchronizer(maxPending: 10_000, store: store);
                sync.UpdateLocal(BigState(100, 1000));
                var state = sync.GetLocalState()!.Canonical.Length;
                var journal = Path.Combine(big, FileSyncStore.JournalFileName(1));
                var i = 0;
                while (new FileInfo(journal).Length < 3 * state)
                {
                    sync.UpdateLocal(new JsonObject { ["n"] = i++, ["pad"] = new string('p', 200) }, isDelta: true);
                }

                await Assert.That(store.Counters.Snapshots).IsEqualTo(0);
                while (store.Counters.Snapshots == 0 && i < 100_000)
                {
                    sync.UpdateLocal(new JsonObject { ["n"] = i++, ["pad"] = new string('p', 200) }, isDelta: true);
                }

                await Assert.That(store.Counters.Snapshots).IsEqualTo(1);
                await Assert.That(store.Generation).IsEqualTo(2);
            }

            // The record cap compacts whatever the sizes.
            using (var store = new FileSyncStore(new FileSyncStoreOptions(capped) { SnapshotEveryRecords = 50, SnapshotEveryBytes = 1L << 40 }))
            {
                var sync = new EdgeSynchronizer(store: store);
                for (var i = 0; i < 49; i++)
                {
                    sync.UpdateLocal(new JsonObject { ["i"] = i });
                }

                await Assert.That(store.Counters.Snapshots).IsEqualTo(0);
                sync.UpdateLocal(new JsonObject { ["i"] = 49 });
                await Assert.That(store.Counters.Snapshots).IsEqualTo(1);
            }
        }
        finally
        {
            DeleteDirectory(tiny);
            DeleteDirectory(big);
            DeleteDirectory(capped);
        }
    }

    private static System.Text.Json.JsonElement JsonDocumentOf(string json) => System.Text.Json.JsonDocument.Parse(json).RootElement;
}
