using System.Text.Json.Nodes;
using Edge.Runtime;
using static Edge.Runtime.Tests.Journal.JournalTestKit;

namespace Edge.Runtime.Tests.Journal;

/// <summary>
/// The live journal (the generation the snapshot names) deleted from under the node is reported at start, not silent;
/// the one legitimate absence (the node died between a snapshot's rename and creating the next journal) is not.
/// </summary>
public class MissingJournalTests
{
    private static FileSyncStoreOptions Options(string dir, List<string>? log = null) =>
        new(dir) { SnapshotEveryRecords = 3, SnapshotEveryBytes = 0, Log = log is null ? null : log.Add };

    [Test]
    public async Task Deleted_live_journal_next_to_a_snapshot_is_reported_and_the_node_goes_on_from_the_snapshot()
    {
        var dir = NewDirectory("missing");
        try
        {
            string atSnapshot;
            using (var store = new FileSyncStore(Options(dir)))
            {
                var sync = new EdgeSynchronizer(store: store, timeProvider: NewClock());
                for (var i = 1; i <= 3; i++)
                {
                    sync.UpdateLocal(new JsonObject { ["i"] = i });
                }

                await Assert.That(store.Counters.Snapshots).IsEqualTo(1);
                atSnapshot = Fingerprint(sync);
                sync.UpdateLocal(new JsonObject { ["i"] = 4 });
                await Assert.That(store.Generation).IsEqualTo(2);
            }

            File.Delete(Path.Combine(dir, FileSyncStore.JournalFileName(2)));
            var log = new List<string>();
            using (var store = new FileSyncStore(Options(dir, log)))
            {
                var sync = new EdgeSynchronizer(store: store);
                await Assert.That(Fingerprint(sync)).IsEqualTo(atSnapshot);
                await Assert.That(store.Counters.MissingJournals).IsEqualTo(1);
                await Assert.That(store.Counters.LastRecovery).Contains($"the live journal {FileSyncStore.JournalFileName(2)} was missing next to the snapshot");
                await Assert.That(log.Count(l => l.Contains("was missing", StringComparison.Ordinal))).IsEqualTo(1);

                // Reported once: the store creates the journal again and takes writes.
                sync.UpdateLocal(new JsonObject { ["i"] = 5 });
            }

            using (var store = new FileSyncStore(Options(dir)))
            {
                await Assert.That(store.Counters.MissingJournals).IsEqualTo(0);
                await Assert.That(new EdgeSynchronizer(store: store).LocalVersion).IsEqualTo(4);
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task Death_between_snapshot_rename_and_next_journal_is_not_reported_missing()
    {
        var dir = NewDirectory("missing-crash");
        try
        {
            var fs = new FailingFileSystem();
            string expected;
            using (var store = new FileSyncStore(Options(dir), fs))
            {
                var sync = new EdgeSynchronizer(store: store, timeProvider: NewClock());
                sync.UpdateLocal(new JsonObject { ["i"] = 1 });
                sync.UpdateLocal(new JsonObject { ["i"] = 2 });
                fs.FailOn = JournalIo.Open;
                fs.PathContains = FileSyncStore.JournalFileName(2);
                fs.DieAfterFailure = true;
                sync.UpdateLocal(new JsonObject { ["i"] = 3 });
                expected = Fingerprint(sync);
            }

            await Assert.That(File.Exists(Path.Combine(dir, FileSyncStore.SnapshotFileName))).IsTrue();
            await Assert.That(File.Exists(Path.Combine(dir, FileSyncStore.JournalFileName(1)))).IsTrue();
            await Assert.That(File.Exists(Path.Combine(dir, FileSyncStore.JournalFileName(2)))).IsFalse();
            var log = new List<string>();
            using (var store = new FileSyncStore(Options(dir, log)))
            {
                await Assert.That(Fingerprint(new EdgeSynchronizer(store: store))).IsEqualTo(expected);
                await Assert.That(store.Counters.MissingJournals).IsEqualTo(0);
                await Assert.That(store.Counters.LastRecovery).DoesNotContain("missing");
                await Assert.That(log.Any(l => l.Contains("missing", StringComparison.Ordinal))).IsFalse();
            }

            await Assert.That(File.Exists(Path.Combine(dir, FileSyncStore.JournalFileName(1)))).IsFalse();
            await Assert.That(File.Exists(Path.Combine(dir, FileSyncStore.JournalFileName(2)))).IsTrue();
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task New_directory_and_a_journal_without_a_snapshot_are_not_reported_missing()
    {
        var dir = NewDirectory("missing-none");
        try
        {
            using (var store = new FileSyncStore(Options(dir)))
            {
                await Assert.That(store.Counters.MissingJournals).IsEqualTo(0);
                new EdgeSynchronizer(store: store).UpdateLocal(new JsonObject { ["i"] = 1 });
            }

            using (var store = new FileSyncStore(Options(dir)))
            {
                await Assert.That(store.Counters.MissingJournals).IsEqualTo(0);
                await Assert.That(new EdgeSynchronizer(store: store).LocalVersion).IsEqualTo(1);
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }
}
