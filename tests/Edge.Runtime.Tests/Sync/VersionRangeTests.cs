using System.Text.Json.Nodes;
using Edge.Runtime;
using Edge.Runtime.Tests.Journal;
using Microsoft.Extensions.Time.Testing;
using TUnit.Assertions.Enums;

namespace Edge.Runtime.Tests.Sync;

/// <summary>Versions stay within 1..2^53-1: out-of-range remote states are refused, local updates stop at the ceiling.</summary>
public class VersionRangeTests
{
    private const long Max = SyncState.MaxVersion;
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static (EdgeSynchronizer Sync, FakeTimeProvider Time) Create(ISyncStore? store = null)
    {
        var time = new FakeTimeProvider(T0);
        return (new EdgeSynchronizer(store: store, timeProvider: time), time);
    }

    private static SyncState Remote(long version, int value = 1) => SyncState.FromData(new JsonObject { ["r"] = value }, version, T0);

    private static string Reason(long version) => $"version {version} is outside 1..9007199254740991";

    /// <summary>Local state, pending changes and history, as text.</summary>
    private static string Observable(EdgeSynchronizer sync, int historyToSkipAtEnd = 0)
    {
        var local = sync.GetLocalState();
        var history = sync.SyncHistory(1000);
        return string.Join(
            "\n",
            [
                local is null ? "none" : $"v{local.Version} {local.Checksum} {local.Data.ToJsonString()}",
                .. sync.GetPendingChanges().Select(p => $"{p.Type} v{p.Version} {p.Data.ToJsonString()}"),
                .. history.Take(history.Count - historyToSkipAtEnd).Select(e => $"{e.Action} v{e.Version} {e.Detail}"),
                $"local={sync.LocalVersion} remote={sync.RemoteVersion} synced={sync.IsSynced}",
            ]);
    }

    /// <summary>The bytes of the journal and snapshot files (not the lock file, which the open store holds), by name.</summary>
    private static SortedDictionary<string, byte[]> StoredFiles(string dir) =>
        new(
            Directory.GetFiles(dir).Where(p => Path.GetFileName(p) != FileSyncStore.LockFileName).ToDictionary(p => Path.GetFileName(p), File.ReadAllBytes),
            StringComparer.Ordinal);

    [Test]
    public async Task The_bounds_are_one_and_two_to_the_53_minus_one()
    {
        long min = SyncState.MinVersion, max = SyncState.MaxVersion;

        await Assert.That(min).IsEqualTo(1);
        await Assert.That(max).IsEqualTo((1L << 53) - 1);

        // Why: a peer reading JSON numbers as doubles reads every version up to the ceiling exactly, but not beyond it.
        await Assert.That((long)(double)max).IsEqualTo(max);
        await Assert.That((long)(double)(max + 2)).IsNotEqualTo(max + 2);
    }

    [Test]
    [Arguments(0L)]
    [Arguments(-5L)]
    [Arguments(Max + 1)]
    [Arguments(long.MaxValue)]
    [Arguments(long.MinValue)]
    public async Task Out_of_range_remote_versions_are_refused_on_a_fresh_node(long version)
    {
        var (sync, _) = Create();

        var applied = sync.ApplyRemote(Remote(version), out var reason);

        await Assert.That(applied).IsFalse();
        await Assert.That(reason).IsEqualTo(Reason(version));
        await Assert.That(sync.GetLocalState()).IsNull();
        await Assert.That(sync.LocalVersion).IsEqualTo(0);
        await Assert.That(sync.RemoteVersion).IsEqualTo(0);
        var history = sync.SyncHistory();
        await Assert.That(history.Count).IsEqualTo(1);
        await Assert.That(history[0]).IsEqualTo(new SyncEvent(T0, SyncAction.RemoteRejected, version, Reason(version)));
        await Assert.That(sync.Summary().RemoteRejected).IsEqualTo(1);
        await Assert.That(sync.Summary().RemoteApplied).IsEqualTo(0);
    }

    [Test]
    [Arguments(0L)]
    [Arguments(-5L)]
    [Arguments(Max + 1)]
    [Arguments(long.MaxValue)]
    public async Task Out_of_range_remote_versions_change_nothing_but_add_the_refusal(long version)
    {
        var (sync, time) = Create();
        sync.UpdateLocal(new JsonObject { ["a"] = 1 });
        sync.ApplyRemote(Remote(5));
        sync.UpdateLocal(new JsonObject { ["b"] = 2 }, isDelta: true);
        var before = Observable(sync);
        var summaryBefore = sync.Summary();
        time.Advance(TimeSpan.FromSeconds(1));

        // Both overloads refuse it.
        await Assert.That(sync.ApplyRemote(Remote(version))).IsFalse();
        await Assert.That(sync.ApplyRemote(Remote(version), out var reason)).IsFalse();

        await Assert.That(reason).IsEqualTo(Reason(version));
        await Assert.That(Observable(sync, historyToSkipAtEnd: 2)).IsEqualTo(before);
        await Assert.That(sync.SyncHistory(2)).IsEquivalentTo(
            new[]
            {
                new SyncEvent(T0.AddSeconds(1), SyncAction.RemoteRejected, version, Reason(version)),
                new SyncEvent(T0.AddSeconds(1), SyncAction.RemoteRejected, version, Reason(version)),
            },
            CollectionOrdering.Matching);
        await Assert.That(sync.Summary()).IsEqualTo(summaryBefore with { RemoteRejected = summaryBefore.RemoteRejected + 2 });
        await Assert.That(sync.LocalVersion).IsEqualTo(6);

        // The next local update carries on from 6: nothing wrapped.
        await Assert.That(sync.UpdateLocal(new JsonObject { ["c"] = 3 }).Version).IsEqualTo(7);
    }

    [Test]
    public async Task The_reason_comes_with_every_refusal_and_is_empty_when_applied()
    {
        var (sync, _) = Create();

        await Assert.That(sync.ApplyRemote(Remote(1), out var applied)).IsTrue();
        await Assert.That(applied).IsEqualTo("");

        await Assert.That(sync.ApplyRemote(Remote(1), out var stale)).IsFalse();
        await Assert.That(stale).IsEqualTo("version 1 is not newer than local version 1");

        await Assert.That(sync.ApplyRemote(Remote(2) with { Checksum = "00000000000000000000000000000000" }, out var checksum)).IsFalse();
        await Assert.That(checksum).IsEqualTo("checksum mismatch for version 2");

        await Assert.That(sync.SyncHistory(2).Select(e => e.Detail)).IsEquivalentTo(new[] { stale, checksum }, CollectionOrdering.Matching);
    }

    [Test]
    public async Task A_remote_at_the_ceiling_is_applied_then_local_updates_are_refused()
    {
        var (sync, _) = Create();
        sync.UpdateLocal(new JsonObject { ["a"] = 1 });

        await Assert.That(sync.ApplyRemote(Remote(Max), out var reason)).IsTrue();
        await Assert.That(reason).IsEqualTo("");
        await Assert.That(sync.LocalVersion).IsEqualTo(Max);
        var before = Observable(sync);

        var full = await Assert.That(() => sync.UpdateLocal(new JsonObject { ["b"] = 2 })).ThrowsExactly<SyncVersionExhaustedException>();
        var delta = await Assert.That(() => sync.UpdateLocal(new JsonObject { ["b"] = 2 }, isDelta: true)).ThrowsExactly<SyncVersionExhaustedException>();

        await Assert.That(full!.Message).Contains("9007199254740991");
        await Assert.That(full.Message).Contains("2^53-1");
        await Assert.That(full.LocalVersion).IsEqualTo(Max);
        await Assert.That(delta is InvalidOperationException).IsTrue();
        await Assert.That(sync.LocalVersion).IsEqualTo(Max);
        await Assert.That(Observable(sync)).IsEqualTo(before);
        await Assert.That(sync.Summary().LocalUpdates).IsEqualTo(1);

        // At the ceiling, nothing newer can arrive either.
        await Assert.That(sync.ApplyRemote(Remote(Max, 2), out var same)).IsFalse();
        await Assert.That(same).IsEqualTo($"version {Max} is not newer than local version {Max}");
        await Assert.That(sync.ApplyRemote(Remote(Max + 1), out var beyond)).IsFalse();
        await Assert.That(beyond).IsEqualTo(Reason(Max + 1));
    }

    [Test]
    public async Task A_remote_at_version_one_is_applied_on_a_fresh_node()
    {
        var (sync, _) = Create();

        await Assert.That(sync.ApplyRemote(Remote(SyncState.MinVersion))).IsTrue();
        await Assert.That(sync.LocalVersion).IsEqualTo(1);
    }

    [Test]
    [Arguments(0L)]
    [Arguments(-1L)]
    [Arguments(long.MinValue)]
    public async Task ConfirmSync_of_zero_or_a_negative_version_confirms_nothing(long upTo)
    {
        var (sync, _) = Create();
        sync.UpdateLocal(new JsonObject { ["a"] = 1 });
        var before = Observable(sync);

        await Assert.That(sync.ConfirmSync(upTo)).IsEqualTo(0);

        await Assert.That(Observable(sync)).IsEqualTo(before);
        await Assert.That(sync.PendingCount).IsEqualTo(1);
    }

    [Test]
    public async Task Through_a_file_store_refusals_are_not_journaled_and_the_ceiling_survives_a_reopen()
    {
        var dir = JournalTestKit.NewDirectory("version-range");
        try
        {
            var options = new FileSyncStoreOptions(dir) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 0 };
            string before;
            using (var store = new FileSyncStore(options))
            {
                var (sync, time) = Create(store);
                sync.UpdateLocal(new JsonObject { ["a"] = 1 });
                sync.ApplyRemote(Remote(3));
                sync.UpdateLocal(new JsonObject { ["b"] = 2 }, isDelta: true);
                await Assert.That(sync.ApplyRemote(Remote(Max))).IsTrue();
                before = JournalTestKit.Fingerprint(sync);
                var files = StoredFiles(dir);
                time.Advance(TimeSpan.FromSeconds(1));

                foreach (var version in new[] { 0, -5, Max + 1, long.MaxValue })
                {
                    await Assert.That(sync.ApplyRemote(Remote(version), out var reason)).IsFalse();
                    await Assert.That(reason).IsEqualTo(Reason(version));
                }

                await Assert.That(() => sync.UpdateLocal(new JsonObject { ["c"] = 3 })).ThrowsExactly<SyncVersionExhaustedException>();
                await Assert.That(sync.ConfirmSync(-1)).IsEqualTo(0);

                await Assert.That(JournalTestKit.SameFiles(files, StoredFiles(dir))).IsTrue();
                await Assert.That(sync.Summary().RemoteRejected).IsEqualTo(4);
                await Assert.That(sync.LocalVersion).IsEqualTo(Max);
            }

            using (var store = new FileSyncStore(options))
            {
                var (reopened, _) = Create(store);

                await Assert.That(JournalTestKit.Fingerprint(reopened)).IsEqualTo(before);
                await Assert.That(reopened.LocalVersion).IsEqualTo(Max);
                await Assert.That(reopened.SyncHistory(1000).Any(e => e.Version is < 1 or > Max)).IsFalse();
                await Assert.That(() => reopened.UpdateLocal(new JsonObject { ["c"] = 3 })).ThrowsExactly<SyncVersionExhaustedException>();
                await Assert.That(reopened.LocalVersion).IsEqualTo(Max);
            }
        }
        finally
        {
            JournalTestKit.DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task A_journal_from_before_the_bound_holding_a_larger_version_never_wraps()
    {
        var dir = JournalTestKit.NewDirectory("version-legacy");
        try
        {
            var options = new FileSyncStoreOptions(dir) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 0 };
            using (var old = new FileSyncStore(options))
            {
                // What an older build journaled when it applied a remote at long.MaxValue.
                old.Recover();
                old.WaitDurable(old.Append(new SyncRecord(SyncRecordKind.RemoteApplied, T0, long.MaxValue, Remote(long.MaxValue))));
            }

            using var store = new FileSyncStore(options);
            var (sync, _) = Create(store);

            await Assert.That(sync.LocalVersion).IsEqualTo(long.MaxValue);
            var ex = await Assert.That(() => sync.UpdateLocal(new JsonObject { ["c"] = 3 })).ThrowsExactly<SyncVersionExhaustedException>();
            await Assert.That(ex!.LocalVersion).IsEqualTo(long.MaxValue);
            await Assert.That(sync.LocalVersion).IsEqualTo(long.MaxValue);
            await Assert.That(sync.PendingCount).IsEqualTo(0);
        }
        finally
        {
            JournalTestKit.DeleteDirectory(dir);
        }
    }
}
