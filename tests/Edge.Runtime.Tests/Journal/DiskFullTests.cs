using System.Text.Json.Nodes;
using Edge.Runtime;
using static Edge.Runtime.Tests.Journal.JournalTestKit;

namespace Edge.Runtime.Tests.Journal;

/// <summary>
/// A full disk refuses a write cleanly (rolled back, the store keeps working, writes resume once space is freed); a
/// failed fsync, for space or not, stops the store until a restart.
/// </summary>
public class DiskFullTests
{
    private const int Enospc = 28;
    private const int EdquotLinux = 122;

    private static FileSyncStoreOptions Options(string dir, JournalDurability durability, int snapshotEvery = 0) =>
        new(dir) { Durability = durability, SnapshotEveryRecords = snapshotEvery, SnapshotEveryBytes = 0 };

    private static void Seed(EdgeSynchronizer sync)
    {
        sync.UpdateLocal(new JsonObject { ["a"] = 1, ["b"] = "two" });
        sync.UpdateLocal(new JsonObject { ["b"] = "three" }, isDelta: true);
        sync.ConfirmSync(1);
    }

    private static string JournalPath(string dir, long generation = 1) => Path.Combine(dir, FileSyncStore.JournalFileName(generation));

    [Test]
    [Arguments(JournalDurability.GroupCommit, Enospc)]
    [Arguments(JournalDurability.PerWrite, Enospc)]
    [Arguments(JournalDurability.GroupCommit, EdquotLinux)]
    public async Task Write_refused_for_space_is_rolled_back_and_writes_resume_once_space_is_freed(JournalDurability durability, int errno)
    {
        if (errno == EdquotLinux && !OperatingSystem.IsLinux())
        {
            Skip.Test("EDQUOT is 122 on Linux only");
        }

        var dir = NewDirectory("enospc-write");
        try
        {
            var fs = new FailingFileSystem();
            var logged = new List<string>();
            string expected;
            using (var store = new FileSyncStore(Options(dir, durability) with { Log = logged.Add }, fs))
            {
                var sync = new EdgeSynchronizer(store: store, timeProvider: NewClock());
                Seed(sync);
                var length = new FileInfo(JournalPath(dir)).Length;
                var before = Fingerprint(sync);

                // The disk fills up mid-frame and stays full for the next attempt too.
                fs.FailOn = JournalIo.Write;
                fs.PathContains = "journal-";
                fs.PartialWriteBytes = 13;
                fs.Errno = errno;
                fs.ThenFailOn = JournalIo.Write;
                var e = await Assert.That(() => sync.UpdateLocal(new JsonObject { ["z"] = 9 })).Throws<JournalWriteException>();
                await Assert.That(e!.OutOfSpace).IsTrue();
                await Assert.That(e.Message).StartsWith($"The disk holding '{store.DirectoryPath}' is full: ");
                await Assert.That(e.Message).Contains("Nothing was stored");
                await Assert.That(e.InnerException is IOException).IsTrue();
                var again = await Assert.That(() => sync.UpdateLocal(new JsonObject { ["a"] = 2 }, isDelta: true)).Throws<JournalWriteException>();
                await Assert.That(again!.OutOfSpace).IsTrue();

                await Assert.That(Fingerprint(sync)).IsEqualTo(before);
                await Assert.That(new FileInfo(JournalPath(dir)).Length).IsEqualTo(length);
                await Assert.That(store.FaultReason).IsNull();
                await Assert.That(store.Counters.OutOfSpaceWrites).IsEqualTo(2);
                await Assert.That(store.Counters.AppendFailures).IsEqualTo(2);
                await Assert.That(logged.Any(l => l.Contains("stopped taking writes", StringComparison.Ordinal))).IsFalse();

                // Space freed: the same calls succeed, with the next versions, without reopening anything.
                fs.Reset();
                var state = sync.UpdateLocal(new JsonObject { ["z"] = 9 });
                await Assert.That(state.Version).IsEqualTo(3);
                sync.UpdateLocal(new JsonObject { ["a"] = 2 }, isDelta: true);
                await Assert.That(sync.LocalVersion).IsEqualTo(4);
                expected = Fingerprint(sync);
            }

            using (var store = new FileSyncStore(Options(dir, durability)))
            {
                await Assert.That(Fingerprint(new EdgeSynchronizer(store: store))).IsEqualTo(expected);
                await Assert.That(store.Counters.TailCorruptions).IsEqualTo(0);
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    [Arguments(JournalDurability.GroupCommit)]
    [Arguments(JournalDurability.PerWrite)]
    public async Task Cut_back_refused_for_space_is_finished_by_the_next_write(JournalDurability durability)
    {
        var dir = NewDirectory("enospc-truncate");
        try
        {
            var fs = new FailingFileSystem();
            string expected;
            using (var store = new FileSyncStore(Options(dir, durability), fs))
            {
                var sync = new EdgeSynchronizer(store: store, timeProvider: NewClock());
                Seed(sync);
                var length = new FileInfo(JournalPath(dir)).Length;
                var before = Fingerprint(sync);

                // The write fails part-way and truncating the torn frame off is refused for space as well.
                fs.FailOn = JournalIo.Write;
                fs.PathContains = "journal-";
                fs.PartialWriteBytes = 17;
                fs.Errno = Enospc;
                fs.ThenFailOn = JournalIo.SetLength;
                var e = await Assert.That(() => sync.UpdateLocal(new JsonObject { ["x"] = 1 })).Throws<JournalWriteException>();
                await Assert.That(e!.OutOfSpace).IsTrue();
                await Assert.That(store.FaultReason).IsNull();
                await Assert.That(Fingerprint(sync)).IsEqualTo(before);
                await Assert.That(new FileInfo(JournalPath(dir)).Length).IsEqualTo(length + 17);

                // Still full: the next write cannot cut it off either, and is refused the same way.
                var still = await Assert.That(() => sync.UpdateLocal(new JsonObject { ["y"] = 2 })).Throws<JournalWriteException>();
                await Assert.That(still!.OutOfSpace).IsTrue();
                await Assert.That(Fingerprint(sync)).IsEqualTo(before);

                fs.Reset();
                sync.UpdateLocal(new JsonObject { ["y"] = 2 });
                await Assert.That(sync.LocalVersion).IsEqualTo(3);
                await Assert.That(store.Counters.OutOfSpaceWrites).IsEqualTo(2);
                expected = Fingerprint(sync);
            }

            using (var store = new FileSyncStore(Options(dir, durability)))
            {
                await Assert.That(Fingerprint(new EdgeSynchronizer(store: store))).IsEqualTo(expected);
                await Assert.That(store.Counters.TailCorruptions).IsEqualTo(0);
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task Torn_frame_left_by_a_full_disk_is_cut_off_at_the_next_start()
    {
        var dir = NewDirectory("enospc-close");
        try
        {
            var fs = new FailingFileSystem();
            string acknowledged;
            using (var store = new FileSyncStore(Options(dir, JournalDurability.GroupCommit), fs))
            {
                var sync = new EdgeSynchronizer(store: store, timeProvider: NewClock());
                Seed(sync);
                acknowledged = Fingerprint(sync);
                fs.FailOn = JournalIo.Write;
                fs.PathContains = "journal-";
                fs.PartialWriteBytes = 21;
                fs.Errno = Enospc;
                fs.ThenFailOn = JournalIo.SetLength;
                await Assert.That(() => sync.UpdateLocal(new JsonObject { ["x"] = 1 })).Throws<JournalWriteException>();

                // The node stops while the disk is still full: the torn frame stays on disk.
            }

            using (var store = new FileSyncStore(Options(dir, JournalDurability.GroupCommit)))
            {
                await Assert.That(Fingerprint(new EdgeSynchronizer(store: store))).IsEqualTo(acknowledged);
                await Assert.That(store.Counters.TailCorruptions).IsEqualTo(1);
                await Assert.That(store.Counters.TruncatedBytes).IsEqualTo(21);
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    [Arguments(JournalDurability.GroupCommit)]
    [Arguments(JournalDurability.PerWrite)]
    public async Task Fsync_failing_for_space_stops_the_store_until_a_restart(JournalDurability durability)
    {
        var dir = NewDirectory("enospc-fsync");
        try
        {
            var fs = new FailingFileSystem();
            string before;
            string after;

            // What a node that had made the failed update durable would hold: the file may have it, memory never does.
            var withFailed = new EdgeSynchronizer(timeProvider: NewClock());
            Seed(withFailed);
            withFailed.UpdateLocal(new JsonObject { ["x"] = 1 });
            using (var store = new FileSyncStore(Options(dir, durability), fs))
            {
                var sync = new EdgeSynchronizer(store: store, timeProvider: NewClock());
                Seed(sync);
                before = Fingerprint(sync);
                await Assert.That(store.FaultReason).IsNull();

                fs.FailOn = JournalIo.Flush;
                fs.PathContains = "journal-";
                fs.Errno = Enospc;
                var e = await Assert.That(() => sync.UpdateLocal(new JsonObject { ["x"] = 1 })).Throws<JournalWriteException>();

                // Not a refused write: the store is stopped, even though the errno says "full".
                await Assert.That(e!.OutOfSpace).IsFalse();
                await Assert.That(store.FaultReason).IsNotNull();
                await Assert.That(store.FaultReason!).StartsWith($"The journal in '{store.DirectoryPath}' stopped taking writes: fsync of the journal failed because the disk is full");
                await Assert.That(store.FaultReason!).Contains("Restart the node to recover from what is on disk.");
                await Assert.That(e.Message).Contains(store.FaultReason!);
                await Assert.That(store.Counters.OutOfSpaceWrites).IsEqualTo(0);
                after = Fingerprint(sync);

                // Whatever the durability mode, a version whose fsync failed never becomes visible.
                await Assert.That(after).IsEqualTo(before);

                // Space is back and fsync would work again: the store still refuses, with the reason.
                fs.Reset();
                var refused = await Assert.That(() => sync.ConfirmSync(2)).Throws<JournalFaultedException>();
                await Assert.That(refused!.Message).IsEqualTo(store.FaultReason);
                await Assert.That(refused.InnerException is IOException).IsTrue();
                await Assert.That(Fingerprint(sync)).IsEqualTo(after);
                await Assert.That(store.WantsSnapshot).IsFalse();
                await Assert.That(store.Counters.AppendFailures).IsEqualTo(2);
            }

            using (var store = new FileSyncStore(Options(dir, durability)))
            {
                await Assert.That(store.FaultReason).IsNull();
                var recovered = Fingerprint(new EdgeSynchronizer(store: store));

                // The failed record was written before its fsync failed: what the file holds wins (no crash lost the page here).
                await Assert.That(recovered == before || recovered == Fingerprint(withFailed)).IsTrue();
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    [Arguments(JournalDurability.GroupCommit)]
    [Arguments(JournalDurability.PerWrite)]
    public async Task Snapshot_refused_for_space_keeps_the_journal_and_compaction_resumes(JournalDurability durability)
    {
        var dir = NewDirectory("enospc-snapshot");
        try
        {
            var fs = new FailingFileSystem();
            var logged = new List<string>();
            var clock = NewClock();
            var live = new EdgeSynchronizer(timeProvider: clock);
            string expected;
            using (var store = new FileSyncStore(Options(dir, durability, snapshotEvery: 3) with { Log = logged.Add }, fs))
            {
                var sync = new EdgeSynchronizer(store: store, timeProvider: clock);
                sync.UpdateLocal(new JsonObject { ["i"] = 1 });
                live.UpdateLocal(new JsonObject { ["i"] = 1 });
                fs.FailOn = JournalIo.Write;
                fs.PathContains = FileSyncStore.SnapshotTempFileName;
                fs.PartialWriteBytes = 5;
                fs.Errno = Enospc;

                // The third record triggers the compaction: the call succeeds, the snapshot does not.
                for (var i = 2; i <= 3; i++)
                {
                    sync.UpdateLocal(new JsonObject { ["i"] = i }, isDelta: true);
                    live.UpdateLocal(new JsonObject { ["i"] = i }, isDelta: true);
                }

                await Assert.That(fs.Failed).IsTrue();
                await Assert.That(store.Counters.SnapshotFailures).IsEqualTo(1);
                await Assert.That(store.Counters.Snapshots).IsEqualTo(0);
                await Assert.That(store.Counters.OutOfSpaceWrites).IsEqualTo(1);
                await Assert.That(store.FaultReason).IsNull();
                await Assert.That(File.Exists(Path.Combine(dir, FileSyncStore.SnapshotTempFileName))).IsFalse();
                await Assert.That(File.Exists(Path.Combine(dir, FileSyncStore.SnapshotFileName))).IsFalse();
                await Assert.That(logged.Any(l => l.Contains("retried later", StringComparison.Ordinal))).IsTrue();

                // Space freed: writes go on and the next compaction goes through.
                fs.Reset();
                for (var i = 4; i <= 8; i++)
                {
                    sync.UpdateLocal(new JsonObject { ["i"] = i }, isDelta: true);
                    live.UpdateLocal(new JsonObject { ["i"] = i }, isDelta: true);
                }

                await Assert.That(store.Counters.Snapshots >= 1).IsTrue();
                await Assert.That(File.Exists(Path.Combine(dir, FileSyncStore.SnapshotFileName))).IsTrue();
                await Assert.That(Fingerprint(sync)).IsEqualTo(Fingerprint(live));
                expected = Fingerprint(sync);
            }

            using (var store = new FileSyncStore(Options(dir, durability, snapshotEvery: 3)))
            {
                await Assert.That(Fingerprint(new EdgeSynchronizer(store: store))).IsEqualTo(expected);
                await Assert.That(store.Counters.MissingJournals).IsEqualTo(0);
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task Next_journal_refused_for_space_after_a_snapshot_is_created_once_space_is_freed()
    {
        var dir = NewDirectory("enospc-nextjournal");
        try
        {
            var fs = new FailingFileSystem();
            var clock = NewClock();
            string expected;
            using (var store = new FileSyncStore(Options(dir, JournalDurability.GroupCommit, snapshotEvery: 3), fs))
            {
                var sync = new EdgeSynchronizer(store: store, timeProvider: clock);
                sync.UpdateLocal(new JsonObject { ["i"] = 1 });
                sync.UpdateLocal(new JsonObject { ["i"] = 2 });

                // The snapshot goes through, then creating journal 2 (and every retry) is refused for space.
                fs.FailOn = JournalIo.Open;
                fs.PathContains = FileSyncStore.JournalFileName(2);
                fs.Errno = Enospc;
                fs.ThenFailOn = JournalIo.Open;
                sync.UpdateLocal(new JsonObject { ["i"] = 3 });
                await Assert.That(store.Counters.Snapshots).IsEqualTo(1);
                var before = Fingerprint(sync);

                var e = await Assert.That(() => sync.UpdateLocal(new JsonObject { ["i"] = 4 })).Throws<JournalWriteException>();
                await Assert.That(e!.OutOfSpace).IsTrue();
                await Assert.That(Fingerprint(sync)).IsEqualTo(before);
                await Assert.That(store.FaultReason).IsNull();

                fs.Reset();
                sync.UpdateLocal(new JsonObject { ["i"] = 4 });
                await Assert.That(sync.LocalVersion).IsEqualTo(4);
                expected = Fingerprint(sync);
            }

            using (var store = new FileSyncStore(Options(dir, JournalDurability.GroupCommit, snapshotEvery: 3)))
            {
                await Assert.That(Fingerprint(new EdgeSynchronizer(store: store))).IsEqualTo(expected);
                await Assert.That(store.Counters.MissingJournals).IsEqualTo(0);
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task Concurrent_group_commit_writers_hitting_a_full_disk_lose_nothing_acknowledged()
    {
        var dir = NewDirectory("enospc-concurrent");
        try
        {
            var fs = new FailingFileSystem { FlushDelay = TimeSpan.FromMilliseconds(1) };
            string expected;
            long acknowledged = 0;
            var failures = new List<Exception>();
            using (var store = new FileSyncStore(Options(dir, JournalDurability.GroupCommit), fs))
            {
                var sync = new EdgeSynchronizer(store: store, maxPending: 100_000);
                fs.FailOn = JournalIo.Write;
                fs.PathContains = "journal-";
                fs.FailAt = 40;
                fs.PartialWriteBytes = 9;
                fs.Errno = Enospc;
                fs.ThenFailOn = JournalIo.Write;
                var writers = Enumerable.Range(0, 8).Select(w => Task.Run(() =>
                {
                    for (var i = 0; i < 40; i++)
                    {
                        try
                        {
                            sync.UpdateLocal(new JsonObject { [$"w{w}"] = i }, isDelta: true);
                            Interlocked.Increment(ref acknowledged);
                        }
                        catch (JournalWriteException e)
                        {
                            lock (failures)
                            {
                                failures.Add(e);
                                if (failures.Count == 10)
                                {
                                    // Space freed while the others keep writing (FailAt is passed, so nothing fails again).
                                    fs.ThenFailOn = null;
                                }
                            }
                        }
                    }
                })).ToArray();
                await Task.WhenAll(writers);

                await Assert.That(failures.Count > 0).IsTrue();
                await Assert.That(failures.All(f => f is JournalWriteException { OutOfSpace: true })).IsTrue();
                await Assert.That(store.FaultReason).IsNull();
                await Assert.That(sync.LocalVersion).IsEqualTo(acknowledged);
                await Assert.That(store.Counters.OutOfSpaceWrites).IsEqualTo(failures.Count);
                expected = Fingerprint(sync);
            }

            using (var store = new FileSyncStore(Options(dir, JournalDurability.GroupCommit)))
            {
                await Assert.That(Fingerprint(new EdgeSynchronizer(store: store, maxPending: 100_000))).IsEqualTo(expected);
                await Assert.That(store.Counters.TailCorruptions).IsEqualTo(0);
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }
}
