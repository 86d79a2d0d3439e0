using System.Text.Json.Nodes;
using Edge.Runtime;
using static Edge.Runtime.Tests.Journal.JournalTestKit;

namespace Edge.Runtime.Tests.Journal;

public class StoreBehaviourTests
{
    [Test]
    public async Task Second_store_on_the_same_directory_is_refused_until_the_first_closes()
    {
        var dir = NewDirectory("lock");
        try
        {
            var first = new FileSyncStore(new FileSyncStoreOptions(dir));
            var e = await Assert.That(() => new FileSyncStore(new FileSyncStoreOptions(dir))).Throws<JournalLockedException>();
            await Assert.That(e!.Message).Contains(Path.GetFullPath(dir));
            await Assert.That(e.Directory).IsEqualTo(Path.GetFullPath(dir));

            // A relative spelling of the same directory is the same lock.
            var relative = Path.GetRelativePath(Environment.CurrentDirectory, dir);
            await Assert.That(() => new FileSyncStore(new FileSyncStoreOptions(relative))).Throws<JournalLockedException>();

            first.Dispose();
            using var second = new FileSyncStore(new FileSyncStoreOptions(dir));
            await Assert.That(second.DirectoryPath).IsEqualTo(Path.GetFullPath(dir));
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task Group_commit_shares_fsyncs_between_concurrent_writers()
    {
        var dir = NewDirectory("group");
        try
        {
            // A slow disk, so writers pile up behind each fsync as they do on an SD card.
            var fs = new FailingFileSystem { FlushDelay = TimeSpan.FromMilliseconds(3) };
            const int writers = 4;
            const int perWriter = 60;
            string expected;
            using (var store = new FileSyncStore(new FileSyncStoreOptions(dir) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 0 }, fs))
            {
                var sync = new EdgeSynchronizer(maxPending: 1000, store: store);

                // Opening a new directory flushes its format file: only what follows are journal fsyncs.
                var openFlushes = fs.Flushes;
                using var start = new Barrier(writers);
                var threads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
                {
                    start.SignalAndWait();
                    for (var i = 0; i < perWriter; i++)
                    {
                        sync.UpdateLocal(new JsonObject { [$"w{w}"] = i }, isDelta: true);
                    }
                })).ToList();
                threads.ForEach(t => t.Start());
                threads.ForEach(t => t.Join());

                await Assert.That(sync.LocalVersion).IsEqualTo(writers * perWriter);
                await Assert.That(store.Counters.Appends).IsEqualTo(writers * perWriter);
                await Assert.That(store.Counters.Fsyncs).IsEqualTo(fs.Flushes - openFlushes);
                await Assert.That(store.Counters.Fsyncs < store.Counters.Appends).IsTrue();
                expected = Fingerprint(sync);
            }

            using (var store = new FileSyncStore(new FileSyncStoreOptions(dir)))
            {
                var recovered = new EdgeSynchronizer(maxPending: 1000, store: store);
                await Assert.That(Fingerprint(recovered)).IsEqualTo(expected);
                var data = recovered.GetLocalState()!.Data;
                for (var w = 0; w < writers; w++)
                {
                    await Assert.That(data.GetProperty($"w{w}").GetInt32()).IsEqualTo(perWriter - 1);
                }
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task Per_write_mode_fsyncs_every_record()
    {
        var dir = NewDirectory("perwrite");
        try
        {
            using var store = new FileSyncStore(new FileSyncStoreOptions(dir) { Durability = JournalDurability.PerWrite });
            var sync = new EdgeSynchronizer(store: store);
            for (var i = 0; i < 10; i++)
            {
                sync.UpdateLocal(new JsonObject { ["i"] = i });
            }

            sync.ConfirmSync(5);
            await Assert.That(store.Counters.Appends).IsEqualTo(11);
            await Assert.That(store.Counters.Fsyncs).IsEqualTo(11);
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task Recover_hands_out_the_state_once()
    {
        var dir = NewDirectory("once");
        try
        {
            using var store = new FileSyncStore(new FileSyncStoreOptions(dir));
            _ = new EdgeSynchronizer(store: store);
            await Assert.That(() => store.Recover()).Throws<InvalidOperationException>();
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task Snapshot_by_size_compacts_and_deletes_the_old_journal()
    {
        var dir = NewDirectory("bysize");
        try
        {
            string expected;
            using (var store = new FileSyncStore(new FileSyncStoreOptions(dir) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 4096 }))
            {
                var sync = new EdgeSynchronizer(store: store);
                for (var i = 0; i < 40; i++)
                {
                    sync.UpdateLocal(new JsonObject { ["blob"] = new string('x', 500), ["i"] = i });
                }

                await Assert.That(store.Counters.Snapshots >= 4).IsTrue();
                await Assert.That(store.Generation).IsEqualTo(store.Counters.Snapshots + 1);
                await Assert.That(File.Exists(Path.Combine(dir, FileSyncStore.JournalFileName(store.Generation - 1)))).IsFalse();
                expected = Fingerprint(sync);
            }

            using (var store = new FileSyncStore(new FileSyncStoreOptions(dir)))
            {
                await Assert.That(Fingerprint(new EdgeSynchronizer(store: store))).IsEqualTo(expected);
                await Assert.That(store.Counters.RecoveredFrames < 10).IsTrue();
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }
}
