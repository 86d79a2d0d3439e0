using System.Text.Json.Nodes;
using Edge.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Runtime.Tests.Sync;

public class EdgeSynchronizerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static (EdgeSynchronizer Sync, FakeTimeProvider Time) Create(ConflictStrategy strategy = ConflictStrategy.RemoteWins, int maxPending = 100)
    {
        var time = new FakeTimeProvider(T0);
        return (new EdgeSynchronizer(strategy, maxPending, timeProvider: time), time);
    }

    private static JsonObject Data(int value) => new() { ["v"] = value };

    private static SyncState Remote(int value, long version, DateTimeOffset? at = null) =>
        SyncState.FromData(Data(value), version, at ?? T0);

    [Test]
    public async Task Spec_example()
    {
        var sync = new EdgeSynchronizer();

        var state = sync.UpdateLocal(new JsonObject { ["sensor_data"] = new JsonArray(1, 2, 3) });
        await Assert.That(state.Version).IsEqualTo(1);
        await Assert.That(state.Checksum).IsEqualTo("a07817689015e9070c687774c0a350ad");

        var remote = SyncState.FromData(new JsonObject { ["sensor_data"] = new JsonArray(4, 5, 6) }, version: 5);
        var applied = sync.ApplyRemote(remote);
        await Assert.That(applied).IsTrue();

        var changes = sync.GetPendingChanges();
        await Assert.That(changes.Count).IsEqualTo(1);
        await Assert.That(sync.ConfirmSync(upToVersion: 3)).IsEqualTo(1);

        var current = sync.GetLocalState();
        await Assert.That(current!.Version).IsEqualTo(5);
        await Assert.That(current.Checksum).IsEqualTo("b72baa51c4b43d3b3ff3a7c7ebe5d29f");
        await Assert.That(current.Data.ToJsonString()).IsEqualTo("""{"sensor_data":[4,5,6]}""");
    }

    [Test]
    public async Task A_new_synchronizer_is_empty_and_synced()
    {
        var (sync, _) = Create();

        await Assert.That(sync.GetLocalState()).IsNull();
        await Assert.That(sync.LocalVersion).IsEqualTo(0);
        await Assert.That(sync.RemoteVersion).IsEqualTo(0);
        await Assert.That(sync.PendingCount).IsEqualTo(0);
        await Assert.That(sync.IsSynced).IsTrue();
        await Assert.That(sync.GetPendingChanges().Count).IsEqualTo(0);
        await Assert.That(sync.SyncHistory().Count).IsEqualTo(0);
        await Assert.That(sync.Strategy).IsEqualTo(ConflictStrategy.RemoteWins);
        await Assert.That(sync.MaxPending).IsEqualTo(100);
    }

    [Test]
    [Arguments(0)]
    [Arguments(-1)]
    public async Task MaxPending_must_be_positive(int maxPending)
    {
        await Assert.That(() => new EdgeSynchronizer(maxPending: maxPending)).Throws<ArgumentOutOfRangeException>();
    }

    [Test]
    public async Task Null_arguments_are_rejected()
    {
        var (sync, _) = Create();

        await Assert.That(() => sync.UpdateLocal(null!)).Throws<ArgumentNullException>();
        await Assert.That(() => sync.ApplyRemote(null!)).Throws<ArgumentNullException>();
    }

    [Test]
    public async Task UpdateLocal_makes_consecutive_versions_with_clock_timestamps()
    {
        var (sync, time) = Create();

        var first = sync.UpdateLocal(Data(1));
        time.Advance(TimeSpan.FromSeconds(3));
        var second = sync.UpdateLocal(Data(2));

        await Assert.That(first.Version).IsEqualTo(1);
        await Assert.That(second.Version).IsEqualTo(2);
        await Assert.That(first.UpdatedAt).IsEqualTo(T0);
        await Assert.That(second.UpdatedAt).IsEqualTo(T0.AddSeconds(3));
        await Assert.That(second.Verify()).IsTrue();
        await Assert.That(sync.LocalVersion).IsEqualTo(2);
        await Assert.That(sync.GetLocalState()).IsSameReferenceAs(second);
        await Assert.That(sync.IsSynced).IsFalse();
    }

    [Test]
    public async Task UpdateLocal_copies_its_input()
    {
        var (sync, _) = Create();
        var input = new JsonObject { ["list"] = new JsonArray(1) };

        var state = sync.UpdateLocal(input);
        input["list"]!.AsArray().Add(2);
        input["x"] = 1;

        await Assert.That(state.Data.ToJsonString()).IsEqualTo("""{"list":[1]}""");
        await Assert.That(sync.GetPendingChanges()[0].Data.ToJsonString()).IsEqualTo("""{"list":[1]}""");
        await Assert.That(state.Verify()).IsTrue();
    }

    [Test]
    public async Task Pending_change_of_a_full_update()
    {
        var (sync, time) = Create();
        time.Advance(TimeSpan.FromMinutes(1));

        sync.UpdateLocal(new JsonObject { ["a"] = 1, ["b"] = 2 });
        var change = sync.GetPendingChanges().Single();

        await Assert.That(change.Type).IsEqualTo("update");
        await Assert.That(change.Type).IsEqualTo(PendingChange.FullType);
        await Assert.That(change.IsDelta).IsFalse();
        await Assert.That(change.Version).IsEqualTo(1);
        await Assert.That(change.Timestamp).IsEqualTo(T0.AddMinutes(1));
        await Assert.That(change.Data.ToJsonString()).IsEqualTo("""{"a":1,"b":2}""");
    }

    [Test]
    public async Task Pending_changes_are_returned_as_a_copy()
    {
        var (sync, _) = Create();
        sync.UpdateLocal(Data(1));
        sync.UpdateLocal(Data(2));

        var first = sync.GetPendingChanges();
        var second = sync.GetPendingChanges();
        sync.UpdateLocal(Data(3));
        sync.ConfirmSync(2);

        await Assert.That(first).IsNotSameReferenceAs(second);
        await Assert.That(first.Select(c => c.Version)).IsEquivalentTo(new long[] { 1, 2 }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(sync.GetPendingChanges().Select(c => c.Version)).IsEquivalentTo(new long[] { 3 });
        if (first is IList<PendingChange> list && !list.IsReadOnly)
        {
            list.Clear();
        }

        await Assert.That(sync.PendingCount).IsEqualTo(1);
    }

    [Test]
    public async Task Full_update_replaces_the_state()
    {
        var (sync, _) = Create();
        sync.UpdateLocal(new JsonObject { ["a"] = 1, ["b"] = 2 });

        var state = sync.UpdateLocal(new JsonObject { ["c"] = 3 });

        await Assert.That(state.Data.ToJsonString()).IsEqualTo("""{"c":3}""");
    }

    [Test]
    public async Task Delta_merges_top_level_keys_and_the_pending_change_holds_only_the_delta()
    {
        var (sync, _) = Create();
        sync.UpdateLocal(new JsonObject { ["a"] = 1, ["b"] = new JsonObject { ["x"] = 1, ["y"] = 2 }, ["c"] = 3 });

        var state = sync.UpdateLocal(new JsonObject { ["b"] = new JsonObject { ["x"] = 9 }, ["d"] = 4, ["c"] = null }, isDelta: true);
        var delta = sync.GetPendingChanges()[1];

        await Assert.That(state.Version).IsEqualTo(2);
        await Assert.That(state.Data.GetProperty("a").GetInt32()).IsEqualTo(1);
        await Assert.That(state.Data.GetProperty("b").ToJsonString()).IsEqualTo("""{"x":9}""");
        await Assert.That(state.Data.GetProperty("d").GetInt32()).IsEqualTo(4);
        await Assert.That(state.Data.TryGetProperty("c", out var c)).IsTrue();
        await Assert.That(c.ValueKind).IsEqualTo(System.Text.Json.JsonValueKind.Null);
        await Assert.That(state.Checksum).IsEqualTo(StateChecksum.Compute(JsonNode.Parse(state.Data.GetRawText())));
        await Assert.That(state.Verify()).IsTrue();
        await Assert.That(delta.IsDelta).IsTrue();
        await Assert.That(delta.Type).IsEqualTo("delta");
        await Assert.That(delta.Version).IsEqualTo(2);
        await Assert.That(delta.Data.ToJsonString()).IsEqualTo("""{"b":{"x":9},"c":null,"d":4}""");
    }

    [Test]
    public async Task Delta_does_not_alias_the_previous_state()
    {
        var (sync, _) = Create();
        var before = sync.UpdateLocal(new JsonObject { ["a"] = 1 });

        sync.UpdateLocal(new JsonObject { ["b"] = 2 }, isDelta: true);

        await Assert.That(before.Data.ToJsonString()).IsEqualTo("""{"a":1}""");
        await Assert.That(before.Verify()).IsTrue();
    }

    [Test]
    public async Task Delta_without_a_local_state_becomes_the_state()
    {
        var (sync, _) = Create();

        var state = sync.UpdateLocal(new JsonObject { ["k"] = "v" }, isDelta: true);

        await Assert.That(state.Data.ToJsonString()).IsEqualTo("""{"k":"v"}""");
        await Assert.That(sync.GetPendingChanges()[0].IsDelta).IsTrue();
    }

    [Test]
    public async Task Delta_merges_over_an_applied_remote_state()
    {
        var (sync, _) = Create();
        sync.ApplyRemote(SyncState.FromData(new JsonObject { ["a"] = 1, ["b"] = 1 }, 7));

        var state = sync.UpdateLocal(new JsonObject { ["b"] = 2 }, isDelta: true);

        await Assert.That(state.Version).IsEqualTo(8);
        await Assert.That(state.Data.ToJsonString()).IsEqualTo("""{"a":1,"b":2}""");
    }

    [Test]
    public async Task ApplyRemote_without_local_state_accepts_any_valid_version()
    {
        var (sync, _) = Create();

        await Assert.That(sync.ApplyRemote(Remote(1, 3))).IsTrue();

        await Assert.That(sync.LocalVersion).IsEqualTo(3);
        await Assert.That(sync.RemoteVersion).IsEqualTo(3);
        await Assert.That(sync.IsSynced).IsTrue();
        await Assert.That(sync.PendingCount).IsEqualTo(0);
    }

    [Test]
    public async Task ApplyRemote_accepts_newer_and_refuses_equal_or_older_versions()
    {
        var (sync, _) = Create();
        sync.ApplyRemote(Remote(1, 5));

        await Assert.That(sync.ApplyRemote(Remote(2, 6))).IsTrue();
        await Assert.That(sync.ApplyRemote(Remote(3, 6))).IsFalse();
        await Assert.That(sync.SyncHistory(1)[0].Detail).IsEqualTo("version 6 is not newer than local version 6");
        await Assert.That(sync.ApplyRemote(Remote(4, 2))).IsFalse();
        await Assert.That(sync.SyncHistory(1)[0].Detail).IsEqualTo("version 2 is not newer than local version 6");

        await Assert.That(sync.GetLocalState()!.Data.GetProperty("v").GetInt32()).IsEqualTo(2);
        await Assert.That(sync.Summary().RemoteApplied).IsEqualTo(2);
        await Assert.That(sync.Summary().RemoteRejected).IsEqualTo(2);
    }

    [Test]
    public async Task ApplyRemote_compares_with_the_local_version_after_local_updates()
    {
        var (sync, _) = Create();
        sync.UpdateLocal(Data(1));
        sync.UpdateLocal(Data(2));
        sync.UpdateLocal(Data(3));

        await Assert.That(sync.ApplyRemote(Remote(9, 3))).IsFalse();
        await Assert.That(sync.ApplyRemote(Remote(9, 4))).IsTrue();
        await Assert.That(sync.UpdateLocal(Data(5)).Version).IsEqualTo(5);
    }

    [Test]
    public async Task ApplyRemote_refuses_a_state_whose_checksum_fails()
    {
        var (sync, _) = Create();
        var tampered = Remote(1, 10) with { Data = new JsonObject { ["v"] = 666 }.Element() };
        var forged = new SyncState(11, Data(1).Element(), "deadbeefdeadbeefdeadbeefdeadbeef", T0);

        await Assert.That(sync.ApplyRemote(tampered)).IsFalse();
        await Assert.That(sync.ApplyRemote(forged)).IsFalse();

        var history = sync.SyncHistory();
        await Assert.That(history.Count).IsEqualTo(2);
        await Assert.That(history[0].Action).IsEqualTo(SyncAction.RemoteRejected);
        await Assert.That(history[0].Version).IsEqualTo(10);
        await Assert.That(history[0].Detail).IsEqualTo("checksum mismatch for version 10");
        await Assert.That(history[1].Detail).Contains("checksum");
        await Assert.That(sync.GetLocalState()).IsNull();
        await Assert.That(sync.RemoteVersion).IsEqualTo(0);
        await Assert.That(sync.Summary().RemoteRejected).IsEqualTo(2);
    }

    [Test]
    public async Task A_state_without_data_cannot_be_made_and_a_null_checksum_is_refused()
    {
        var (sync, _) = Create();

        // Data is a JSON element now: a state without an object cannot exist, so ApplyRemote never sees one.
        await Assert.That(() => new SyncState(1, default, "x", T0)).Throws<ArgumentException>();
        await Assert.That(sync.ApplyRemote(Remote(1, 1) with { Checksum = null! })).IsFalse();
    }

    [Test]
    public async Task ApplyRemote_copies_the_remote_data()
    {
        var (sync, _) = Create();
        var remote = Remote(1, 2);

        sync.ApplyRemote(remote);
        _ = remote with { Data = new JsonObject { ["v"] = 99 }.Element() };

        var local = sync.GetLocalState()!;
        await Assert.That(local.Data.GetProperty("v").GetInt32()).IsEqualTo(1);
        await Assert.That(local.Verify()).IsTrue();
        await Assert.That(local.Checksum).IsEqualTo(SyncState.FromData(Data(1), 2).Checksum);
    }

    [Test]
    public async Task ApplyRemote_keeps_the_remote_instant_in_utc()
    {
        var (sync, _) = Create();
        var at = new DateTimeOffset(2026, 3, 1, 9, 30, 0, TimeSpan.FromHours(-5));
        var remote = new SyncState(4, Data(1).Element(), StateChecksum.Compute(Data(1)), at);

        sync.ApplyRemote(remote);

        await Assert.That(sync.GetLocalState()!.UpdatedAt).IsEqualTo(at);
        await Assert.That(sync.GetLocalState()!.UpdatedAt.Offset).IsEqualTo(TimeSpan.Zero);
    }

    [Test]
    public async Task RemoteWins_applies_over_unconfirmed_local_changes()
    {
        var (sync, _) = Create(ConflictStrategy.RemoteWins);
        sync.UpdateLocal(Data(1));

        await Assert.That(sync.ApplyRemote(Remote(2, 2))).IsTrue();
        await Assert.That(sync.GetLocalState()!.Data.GetProperty("v").GetInt32()).IsEqualTo(2);
    }

    [Test]
    public async Task LocalWins_keeps_local_only_while_it_has_unconfirmed_changes()
    {
        var (sync, _) = Create(ConflictStrategy.LocalWins);
        sync.UpdateLocal(Data(1));

        await Assert.That(sync.ApplyRemote(Remote(2, 2))).IsFalse();
        await Assert.That(sync.SyncHistory(1)[0].Detail).IsEqualTo("local has 1 unconfirmed changes (LocalWins)");
        await Assert.That(sync.GetLocalState()!.Data.GetProperty("v").GetInt32()).IsEqualTo(1);

        sync.ConfirmSync(1);

        await Assert.That(sync.ApplyRemote(Remote(2, 2))).IsTrue();
        await Assert.That(sync.GetLocalState()!.Data.GetProperty("v").GetInt32()).IsEqualTo(2);
    }

    [Test]
    public async Task LocalWins_still_refuses_older_versions_without_pending_changes()
    {
        var (sync, _) = Create(ConflictStrategy.LocalWins);
        sync.ApplyRemote(Remote(1, 5));

        await Assert.That(sync.ApplyRemote(Remote(2, 4))).IsFalse();
        await Assert.That(sync.SyncHistory(1)[0].Detail).Contains("not newer");
    }

    [Test]
    public async Task LatestWins_compares_updated_at()
    {
        var (sync, time) = Create(ConflictStrategy.LatestWins);
        time.Advance(TimeSpan.FromSeconds(10));
        sync.UpdateLocal(Data(1));

        await Assert.That(sync.ApplyRemote(Remote(2, 2, T0.AddSeconds(5)))).IsFalse();
        await Assert.That(sync.SyncHistory(1)[0].Detail).EndsWith("(LatestWins)");
        await Assert.That(sync.ApplyRemote(Remote(2, 2, T0.AddSeconds(10)))).IsFalse();
        await Assert.That(sync.ApplyRemote(Remote(3, 2, T0.AddSeconds(11)))).IsTrue();
        await Assert.That(sync.GetLocalState()!.Data.GetProperty("v").GetInt32()).IsEqualTo(3);
    }

    [Test]
    public async Task LatestWins_compares_instants_across_offsets()
    {
        var (sync, _) = Create(ConflictStrategy.LatestWins);
        sync.UpdateLocal(Data(1));

        // 13:00+02:00 is 11:00Z, before the local 12:00Z.
        await Assert.That(sync.ApplyRemote(Remote(2, 2, new DateTimeOffset(2026, 3, 1, 13, 0, 0, TimeSpan.FromHours(2))))).IsFalse();
        await Assert.That(sync.ApplyRemote(Remote(2, 2, new DateTimeOffset(2026, 3, 1, 13, 0, 1, TimeSpan.FromHours(1))))).IsTrue();
    }

    [Test]
    public async Task LatestWins_without_pending_changes_applies_a_newer_version_regardless_of_time()
    {
        var (sync, time) = Create(ConflictStrategy.LatestWins);
        time.Advance(TimeSpan.FromHours(1));
        sync.UpdateLocal(Data(1));
        sync.ConfirmSync(1);

        await Assert.That(sync.ApplyRemote(Remote(2, 2, T0))).IsTrue();
    }

    [Test]
    public async Task ConfirmSync_partial_then_all()
    {
        var (sync, _) = Create();
        sync.UpdateLocal(Data(1));
        sync.UpdateLocal(Data(2));
        sync.UpdateLocal(Data(3));

        await Assert.That(sync.ConfirmSync(2)).IsEqualTo(2);
        await Assert.That(sync.GetPendingChanges().Select(c => c.Version)).IsEquivalentTo(new long[] { 3 });
        await Assert.That(sync.RemoteVersion).IsEqualTo(2);
        await Assert.That(sync.IsSynced).IsFalse();

        await Assert.That(sync.ConfirmSync(3)).IsEqualTo(1);
        await Assert.That(sync.PendingCount).IsEqualTo(0);
        await Assert.That(sync.RemoteVersion).IsEqualTo(3);
        await Assert.That(sync.IsSynced).IsTrue();
        await Assert.That(sync.Summary().ConfirmedChanges).IsEqualTo(3);
    }

    [Test]
    public async Task ConfirmSync_past_the_local_version_confirms_everything_and_caps_the_remote_version()
    {
        var (sync, _) = Create();
        sync.UpdateLocal(Data(1));
        sync.UpdateLocal(Data(2));

        await Assert.That(sync.ConfirmSync(100)).IsEqualTo(2);
        await Assert.That(sync.RemoteVersion).IsEqualTo(2);
        await Assert.That(sync.IsSynced).IsTrue();
    }

    [Test]
    public async Task ConfirmSync_with_nothing_to_do_records_nothing()
    {
        var (sync, _) = Create();
        sync.UpdateLocal(Data(1));
        sync.ConfirmSync(1);
        var events = sync.SyncHistory().Count;

        await Assert.That(sync.ConfirmSync(1)).IsEqualTo(0);
        await Assert.That(sync.ConfirmSync(0)).IsEqualTo(0);
        await Assert.That(sync.ConfirmSync(-5)).IsEqualTo(0);
        await Assert.That(sync.SyncHistory().Count).IsEqualTo(events);
    }

    [Test]
    public async Task ConfirmSync_records_how_many_it_removed()
    {
        var (sync, _) = Create();
        sync.UpdateLocal(Data(1));
        sync.UpdateLocal(Data(2));

        sync.ConfirmSync(2);
        var e = sync.SyncHistory(1)[0];

        await Assert.That(e.Action).IsEqualTo(SyncAction.Confirmed);
        await Assert.That(e.Version).IsEqualTo(2);
        await Assert.That(e.Detail).IsEqualTo("removed 2");
    }

    [Test]
    public async Task Pending_over_max_drops_the_oldest_and_counts_them()
    {
        var (sync, _) = Create(maxPending: 3);
        for (var i = 1; i <= 5; i++)
        {
            sync.UpdateLocal(Data(i));
        }

        await Assert.That(sync.PendingCount).IsEqualTo(3);
        await Assert.That(sync.GetPendingChanges().Select(c => c.Version)).IsEquivalentTo(new long[] { 3, 4, 5 }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(sync.LocalVersion).IsEqualTo(5);
        await Assert.That(sync.Summary().DroppedChanges).IsEqualTo(2);
        await Assert.That(sync.SyncHistory(1)[0].Detail).IsEqualTo("dropped 1 oldest pending");
        await Assert.That(sync.SyncHistory(3)[0].Detail).IsEqualTo("");
    }

    [Test]
    public async Task MaxPending_of_one_keeps_only_the_latest_change()
    {
        var (sync, _) = Create(maxPending: 1);
        sync.UpdateLocal(Data(1));
        sync.UpdateLocal(new JsonObject { ["w"] = 2 }, isDelta: true);

        var only = sync.GetPendingChanges().Single();
        await Assert.That(only.Version).IsEqualTo(2);
        await Assert.That(only.IsDelta).IsTrue();
        await Assert.That(sync.Summary().DroppedChanges).IsEqualTo(1);
    }

    [Test]
    public async Task History_is_oldest_first_among_the_newest_and_limited()
    {
        var (sync, time) = Create();
        sync.UpdateLocal(Data(1));
        time.Advance(TimeSpan.FromSeconds(1));
        sync.UpdateLocal(Data(2), isDelta: true);
        time.Advance(TimeSpan.FromSeconds(1));
        sync.ApplyRemote(Remote(1, 1));
        time.Advance(TimeSpan.FromSeconds(1));
        sync.ApplyRemote(Remote(1, 10));
        time.Advance(TimeSpan.FromSeconds(1));
        sync.ConfirmSync(10);

        var all = sync.SyncHistory();

        await Assert.That(all.Select(e => e.Action)).IsEquivalentTo(
            new[] { SyncAction.LocalUpdate, SyncAction.LocalDelta, SyncAction.RemoteRejected, SyncAction.RemoteApplied, SyncAction.Confirmed },
            TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(all.Select(e => e.Version)).IsEquivalentTo(new long[] { 1, 2, 1, 10, 10 }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(all.Select(e => e.Timestamp)).IsEquivalentTo(
            Enumerable.Range(0, 5).Select(s => T0.AddSeconds(s)), TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(sync.SyncHistory(2).Select(e => e.Action)).IsEquivalentTo(
            new[] { SyncAction.RemoteApplied, SyncAction.Confirmed }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(sync.SyncHistory(0).Count).IsEqualTo(0);
        await Assert.That(sync.SyncHistory(-3).Count).IsEqualTo(0);
        await Assert.That(sync.SyncHistory(1000).Count).IsEqualTo(5);
    }

    [Test]
    public async Task History_defaults_to_20_and_keeps_the_newest_256()
    {
        var (sync, _) = Create(maxPending: 10);
        for (var i = 1; i <= 300; i++)
        {
            sync.UpdateLocal(Data(i));
        }

        var twenty = sync.SyncHistory();
        var all = sync.SyncHistory(int.MaxValue);

        await Assert.That(twenty.Count).IsEqualTo(20);
        await Assert.That(twenty[0].Version).IsEqualTo(281);
        await Assert.That(twenty[^1].Version).IsEqualTo(300);
        await Assert.That(all.Count).IsEqualTo(256);
        await Assert.That(all[0].Version).IsEqualTo(45);
        await Assert.That(all[^1].Version).IsEqualTo(300);
    }

    [Test]
    public async Task Summary_reports_everything_consistently()
    {
        var (sync, _) = Create(ConflictStrategy.LocalWins, maxPending: 2);
        sync.UpdateLocal(Data(1));
        sync.UpdateLocal(Data(2));
        sync.UpdateLocal(Data(3));
        sync.ApplyRemote(Remote(9, 9));
        sync.ConfirmSync(2);

        var summary = sync.Summary();

        await Assert.That(summary).IsEqualTo(new SyncSummary(
            LocalVersion: 3,
            RemoteVersion: 2,
            PendingCount: 1,
            IsSynced: false,
            Strategy: ConflictStrategy.LocalWins,
            LocalUpdates: 3,
            RemoteApplied: 0,
            RemoteRejected: 1,
            ConfirmedChanges: 1,
            DroppedChanges: 1));
    }

    [Test]
    public async Task Snapshot_holds_state_pending_and_counters()
    {
        var (sync, _) = Create();
        sync.UpdateLocal(Data(1));
        sync.UpdateLocal(Data(2));
        sync.ConfirmSync(1);

        var snapshot = sync.Snapshot();

        await Assert.That(snapshot.Local).IsSameReferenceAs(sync.GetLocalState());
        await Assert.That(snapshot.RemoteVersion).IsEqualTo(1);
        await Assert.That(snapshot.Pending.Select(p => p.Version)).IsEquivalentTo(new long[] { 2 });
        await Assert.That(snapshot.Counters).IsEqualTo(new SyncCounters(2, 0, 0, 1, 0));
    }

    [Test]
    public async Task IsSynced_after_applying_the_cloud_state_with_no_local_changes()
    {
        var (sync, _) = Create();
        sync.UpdateLocal(Data(1));
        sync.ConfirmSync(1);
        await Assert.That(sync.IsSynced).IsTrue();

        sync.UpdateLocal(Data(2));
        await Assert.That(sync.IsSynced).IsFalse();

        sync.ConfirmSync(2);
        sync.ApplyRemote(Remote(3, 3));
        await Assert.That(sync.IsSynced).IsTrue();
        await Assert.That(sync.RemoteVersion).IsEqualTo(3);
    }

    [Test]
    public async Task Pending_change_is_a_value()
    {
        var data = new JsonObject().Element();
        var a = new PendingChange("update", 1, data, T0, false);

        await Assert.That(a).IsEqualTo(new PendingChange("update", 1, data, T0, false));
        await Assert.That(a with { Version = 2 }).IsNotEqualTo(a);
        await Assert.That(PendingChange.DeltaType).IsEqualTo("delta");
        await Assert.That(PendingChange.FullType).IsEqualTo("update");
    }
}
