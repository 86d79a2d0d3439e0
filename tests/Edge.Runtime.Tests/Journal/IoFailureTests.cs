using System.Text.Json.Nodes;
using Edge.Runtime;
using static Edge.Runtime.Tests.Journal.JournalTestKit;

namespace Edge.Runtime.Tests.Journal;

/// <summary>A write that cannot be made durable fails the call and leaves the node exactly as it was.</summary>
public class IoFailureTests
{
    public enum Operation
    {
        FullUpdate,
        DeltaUpdate,
        ApplyRemote,
        RejectRemote,
        Confirm,
    }

    private static FileSyncStoreOptions Options(string dir, JournalDurability durability) =>
        new(dir) { Durability = durability, SnapshotEveryRecords = 0, SnapshotEveryBytes = 0 };

    private static void Seed(EdgeSynchronizer sync)
    {
        sync.UpdateLocal(new JsonObject { ["a"] = 1, ["b"] = "two" });
        sync.UpdateLocal(new JsonObject { ["b"] = "three" }, isDelta: true);
        sync.UpdateLocal(new JsonObject { ["c"] = 2.0 }, isDelta: true);
    }

    private static void Run(EdgeSynchronizer sync, Operation operation)
    {
        switch (operation)
        {
            case Operation.FullUpdate:
                sync.UpdateLocal(new JsonObject { ["z"] = 9 });
                break;
            case Operation.DeltaUpdate:
                sync.UpdateLocal(new JsonObject { ["a"] = 10 }, isDelta: true);
                break;
            case Operation.ApplyRemote:
                sync.ApplyRemote(SyncState.FromData(new JsonObject { ["remote"] = true }, 50));
                break;
            case Operation.RejectRemote:
                sync.ApplyRemote(SyncState.FromData(new JsonObject { ["old"] = true }, 1));
                break;
            case Operation.Confirm:
                sync.ConfirmSync(2);
                break;
        }
    }

    [Test]
    [Arguments(Operation.FullUpdate, JournalDurability.GroupCommit)]
    [Arguments(Operation.DeltaUpdate, JournalDurability.GroupCommit)]
    [Arguments(Operation.ApplyRemote, JournalDurability.GroupCommit)]
    [Arguments(Operation.RejectRemote, JournalDurability.GroupCommit)]
    [Arguments(Operation.Confirm, JournalDurability.GroupCommit)]
    [Arguments(Operation.FullUpdate, JournalDurability.PerWrite)]
    [Arguments(Operation.Confirm, JournalDurability.PerWrite)]
    public async Task Disk_full_mid_frame_fails_the_call_and_changes_nothing(Operation operation, JournalDurability durability)
    {
        var dir = NewDirectory("diskfull");
        try
        {
            var fs = new FailingFileSystem();
            var clock = NewClock();
            string expected;
            using (var store = new FileSyncStore(Options(dir, durability), fs))
            {
                var sync = new EdgeSynchronizer(store: store, timeProvider: clock);
                Seed(sync);
                var journal = Path.Combine(dir, FileSyncStore.JournalFileName(1));
                var length = new FileInfo(journal).Length;
                var before = Fingerprint(sync);

                fs.FailOn = JournalIo.Write;
                fs.PathContains = "journal-";
                fs.PartialWriteBytes = 11;
                var e = await Assert.That(() => Run(sync, operation)).Throws<JournalWriteException>();

                await Assert.That(e!.Message).Contains("Nothing was stored");
                await Assert.That(e.InnerException is IOException).IsTrue();
                await Assert.That(Fingerprint(sync)).IsEqualTo(before);
                await Assert.That(new FileInfo(journal).Length).IsEqualTo(length);
                await Assert.That(store.Counters.AppendFailures).IsEqualTo(1);

                // The disk has room again: the same call now succeeds.
                fs.Reset();
                Run(sync, operation);
                await Assert.That(Fingerprint(sync)).IsNotEqualTo(before);
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
    public async Task Append_that_cannot_be_cut_back_stops_the_store_and_restart_recovers_the_state_before()
    {
        var dir = NewDirectory("cutback");
        try
        {
            var fs = new FailingFileSystem();
            string before;
            using (var store = new FileSyncStore(Options(dir, JournalDurability.GroupCommit), fs))
            {
                var sync = new EdgeSynchronizer(store: store);
                Seed(sync);
                before = Fingerprint(sync);

                // The write fails half-way and so does everything after it (the truncate back included).
                fs.FailOn = JournalIo.Write;
                fs.PathContains = "journal-";
                fs.PartialWriteBytes = 20;
                fs.DieAfterFailure = true;
                await Assert.That(() => sync.UpdateLocal(new JsonObject { ["x"] = 1 })).Throws<JournalWriteException>();
                await Assert.That(Fingerprint(sync)).IsEqualTo(before);

                // Faulted: further writes are refused even once the disk works again, memory unchanged.
                fs.Reset();
                var e = await Assert.That(() => sync.UpdateLocal(new JsonObject { ["y"] = 2 })).Throws<JournalFaultedException>();
                await Assert.That(e!.Message).Contains("Restart");
                await Assert.That(e.Message).IsEqualTo(store.FaultReason);
                await Assert.That(Fingerprint(sync)).IsEqualTo(before);
            }

            using (var store = new FileSyncStore(Options(dir, JournalDurability.GroupCommit)))
            {
                await Assert.That(Fingerprint(new EdgeSynchronizer(store: store))).IsEqualTo(before);
                await Assert.That(store.Counters.TailCorruptions).IsEqualTo(1);
                await Assert.That(store.Counters.TruncatedBytes).IsEqualTo(20);
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task Per_write_fsync_failure_fails_the_call_and_changes_nothing()
    {
        var dir = NewDirectory("fsync-perwrite");
        try
        {
            var fs = new FailingFileSystem();
            string before;
            using (var store = new FileSyncStore(Options(dir, JournalDurability.PerWrite), fs))
            {
                var sync = new EdgeSynchronizer(store: store);
                Seed(sync);
                before = Fingerprint(sync);
                fs.FailOn = JournalIo.Flush;
                fs.PathContains = "journal-";
                await Assert.That(() => sync.UpdateLocal(new JsonObject { ["x"] = 1 })).Throws<JournalWriteException>();
                await Assert.That(Fingerprint(sync)).IsEqualTo(before);
                fs.Reset();
                await Assert.That(() => sync.ConfirmSync(3)).Throws<JournalFaultedException>();
                await Assert.That(Fingerprint(sync)).IsEqualTo(before);
            }

            using (var store = new FileSyncStore(Options(dir, JournalDurability.PerWrite)))
            {
                await Assert.That(Fingerprint(new EdgeSynchronizer(store: store))).IsEqualTo(before);
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task Group_commit_fsync_failure_fails_the_call_and_stops_the_store()
    {
        // Documented: in group-commit mode the record is applied before the shared fsync, so memory has it.
        var dir = NewDirectory("fsync-group");
        try
        {
            var fs = new FailingFileSystem();
            using var store = new FileSyncStore(Options(dir, JournalDurability.GroupCommit), fs);
            var sync = new EdgeSynchronizer(store: store);
            Seed(sync);
            fs.FailOn = JournalIo.Flush;
            fs.PathContains = "journal-";
            await Assert.That(() => sync.UpdateLocal(new JsonObject { ["x"] = 1 })).Throws<JournalWriteException>();
            var after = Fingerprint(sync);
            fs.Reset();
            await Assert.That(() => sync.UpdateLocal(new JsonObject { ["y"] = 2 })).Throws<JournalFaultedException>();
            await Assert.That(Fingerprint(sync)).IsEqualTo(after);
            await Assert.That(store.WantsSnapshot).IsFalse();
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task Data_json_cannot_hold_fails_the_call_and_the_store_keeps_working()
    {
        var dir = NewDirectory("nan");
        try
        {
            using var store = new FileSyncStore(Options(dir, JournalDurability.GroupCommit));
            var sync = new EdgeSynchronizer(store: store);
            Seed(sync);
            var before = Fingerprint(sync);
            // Refused where the data enters (a state cannot hold NaN), before anything reaches the journal.
            await Assert.That(() => sync.UpdateLocal(new JsonObject { ["bad"] = double.NaN })).Throws<ArgumentException>();
            await Assert.That(Fingerprint(sync)).IsEqualTo(before);
            sync.UpdateLocal(new JsonObject { ["good"] = 1 });
            await Assert.That(sync.LocalVersion).IsEqualTo(4);
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }
}
