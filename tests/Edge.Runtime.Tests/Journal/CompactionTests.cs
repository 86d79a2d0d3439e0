using System.Text.Json.Nodes;
using Edge.Runtime;
using static Edge.Runtime.Tests.Journal.JournalTestKit;

namespace Edge.Runtime.Tests.Journal;

/// <summary>Snapshot + compaction interrupted at every step: by a transient failure, or by the process dying there.</summary>
public class CompactionTests
{
    private const int SnapshotEvery = 5;

    /// <summary>The disk operations of one compaction, in order (the store is opened before failures are armed).</summary>
    private static readonly (JournalIo Io, string Path, int Nth)[] Steps =
    [
        (JournalIo.Open, FileSyncStore.SnapshotTempFileName, 1),
        (JournalIo.SetLength, FileSyncStore.SnapshotTempFileName, 1),
        (JournalIo.Write, FileSyncStore.SnapshotTempFileName, 1),
        (JournalIo.Flush, FileSyncStore.SnapshotTempFileName, 1),
        (JournalIo.Move, FileSyncStore.SnapshotFileName, 1),
        (JournalIo.FlushDirectory, "", 1), // after the rename
        (JournalIo.Open, FileSyncStore.JournalFileName(2), 1),
        (JournalIo.FlushDirectory, "", 2), // after creating the next journal
        (JournalIo.Delete, FileSyncStore.JournalFileName(1), 1),
    ];

    public static IEnumerable<Func<(int Step, bool Dies, JournalDurability Durability)>> Cases()
    {
        for (var step = 0; step < Steps.Length; step++)
        {
            foreach (var dies in new[] { false, true })
            {
                foreach (var durability in new[] { JournalDurability.GroupCommit, JournalDurability.PerWrite })
                {
                    var c = (step, dies, durability);
                    yield return () => c;
                }
            }
        }
    }

    [Test]
    [MethodDataSource(nameof(Cases))]
    public async Task Interrupted_compaction_loses_nothing((int Step, bool Dies, JournalDurability Durability) c)
    {
        var dir = NewDirectory("compact");
        try
        {
            var (io, path, nth) = Steps[c.Step];
            var fs = new FailingFileSystem();
            var options = new FileSyncStoreOptions(dir) { Durability = c.Durability, SnapshotEveryRecords = SnapshotEvery, SnapshotEveryBytes = 0 };
            var clock = NewClock();
            var live = new EdgeSynchronizer(timeProvider: clock);

            // Every call the durable node attempted, up to and including the first that failed: the journal may hold
            // that one although the call failed (its fsync, or the directory's after a snapshot, failed) and memory never showed it.
            var attempted = new Attempted(new EdgeSynchronizer(timeProvider: clock));
            var logged = new List<string>();
            using (var store = new FileSyncStore(options with { Log = logged.Add }, fs))
            {
                var durable = new EdgeSynchronizer(store: store, timeProvider: clock);
                for (var i = 1; i <= 3; i++)
                {
                    Update(durable, live, attempted, clock, i);
                }

                fs.FailOn = io;
                fs.PathContains = path.Length == 0 ? null : path;
                fs.FailAt = nth;
                fs.DieAfterFailure = c.Dies;

                // Update 5 triggers the compaction; the call must not fail because of it unless the store had to stop.
                for (var i = 4; i <= 14; i++)
                {
                    Update(durable, live, attempted, clock, i);
                }

                await Assert.That(fs.Failed).IsTrue();
                await Assert.That(Fingerprint(durable)).IsEqualTo(Fingerprint(live));
                if (!c.Dies && c.Step < 5)
                {
                    // Before the rename: the old snapshot and journal stay in charge and compaction is retried later.
                    await Assert.That(store.Counters.SnapshotFailures).IsEqualTo(1);
                    await Assert.That(store.Counters.Snapshots >= 1).IsTrue();
                    await Assert.That(live.LocalVersion).IsEqualTo(14);
                    await Assert.That(logged.Any(l => l.Contains("retried later", StringComparison.Ordinal))).IsTrue();
                }

                if (!c.Dies && c.Step >= 6)
                {
                    // After the snapshot is in place, a failure only delays opening or deleting a journal.
                    await Assert.That(live.LocalVersion).IsEqualTo(14);
                }
            }

            using (var store = new FileSyncStore(options))
            {
                var recovered = new EdgeSynchronizer(store: store);
                var fingerprint = Fingerprint(recovered);
                await Assert.That(fingerprint == Fingerprint(live) || fingerprint == Fingerprint(attempted.Sync)).IsTrue();
                await Assert.That(store.Counters.TailCorruptions).IsEqualTo(0);

                // And the node goes on from there.
                recovered.UpdateLocal(new JsonObject { ["after"] = true }, isDelta: true);
            }

            var names = Directory.GetFiles(dir).Select(Path.GetFileName).ToArray();
            await Assert.That(names.Contains(FileSyncStore.SnapshotTempFileName)).IsFalse();
            await Assert.That(names.Count(n => n!.StartsWith("journal-", StringComparison.Ordinal))).IsEqualTo(1);
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    /// <summary>The reference of what the durable node attempted; stops following at the first failed call.</summary>
    private sealed class Attempted(EdgeSynchronizer sync)
    {
        public EdgeSynchronizer Sync { get; } = sync;

        public bool Stopped { get; set; }
    }

    /// <summary>Updates the durable node and, if the change was made there, the in-memory reference too.</summary>
    private static void Update(EdgeSynchronizer durable, EdgeSynchronizer live, Attempted attempted, Microsoft.Extensions.Time.Testing.FakeTimeProvider clock, int i)
    {
        clock.Advance(TimeSpan.FromSeconds(1));
        var data = new JsonObject { ["i"] = i, ["even"] = i % 2 == 0 };
        Attempt(attempted, s => s.UpdateLocal(data, isDelta: i % 3 == 0), () => durable.UpdateLocal(data, isDelta: i % 3 == 0));
        if (durable.LocalVersion > live.LocalVersion)
        {
            live.UpdateLocal(data, isDelta: i % 3 == 0);
        }

        if (i % 4 == 0)
        {
            Attempt(attempted, s => s.ConfirmSync(i - 2), () => durable.ConfirmSync(i - 2));
            if (durable.RemoteVersion > live.RemoteVersion)
            {
                live.ConfirmSync(i - 2);
            }
        }
    }

    private static void Attempt(Attempted attempted, Action<EdgeSynchronizer> onReference, Action onDurable)
    {
        if (!attempted.Stopped)
        {
            onReference(attempted.Sync);
        }

        try
        {
            onDurable();
        }
        catch (IOException e) when (e is JournalWriteException or JournalFaultedException)
        {
            // Memory is unchanged: the durable node shows only what is durable.
            attempted.Stopped = true;
        }
    }
}
