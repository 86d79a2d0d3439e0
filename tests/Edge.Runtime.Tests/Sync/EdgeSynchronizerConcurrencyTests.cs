using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Edge.Runtime;

namespace Edge.Runtime.Tests.Sync;

/// <summary>UpdateLocal, ApplyRemote, ConfirmSync and readers on several threads at once, with the invariants checked.</summary>
public class EdgeSynchronizerConcurrencyTests
{
    private const int MaxPending = 25;

    private static void RunOnThreads(params Action[] bodies)
    {
        using var start = new Barrier(bodies.Length);
        var errors = new ConcurrentQueue<Exception>();
        var threads = bodies.Select(body => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                body();
            }
            catch (Exception ex)
            {
                errors.Enqueue(ex);
            }
        })).ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        if (!errors.IsEmpty)
        {
            throw new AggregateException(errors);
        }
    }

    [Test]
    [Arguments(ConflictStrategy.RemoteWins)]
    [Arguments(ConflictStrategy.LocalWins)]
    [Arguments(ConflictStrategy.LatestWins)]
    public async Task Concurrent_updates_applies_and_confirms_keep_every_invariant(ConflictStrategy strategy)
    {
        var sync = new EdgeSynchronizer(strategy, MaxPending);
        const int Writers = 2;
        const int UpdatesPerWriter = 1_500;
        const int RemoteAttempts = 1_500;
        var updateVersions = new ConcurrentBag<long>();
        var appliedVersions = new ConcurrentBag<long>();
        var nonMonotonic = 0;
        var readerViolations = 0;
        var remoteAttempts = 0;
        using var writersDone = new CountdownEvent(Writers);

        Action Writer(int w) => () =>
        {
            long last = 0;
            for (var i = 0; i < UpdatesPerWriter; i++)
            {
                var state = sync.UpdateLocal(new JsonObject { [$"w{w}"] = i }, isDelta: i % 2 == 1);
                if (state.Version <= last)
                {
                    Interlocked.Increment(ref nonMonotonic);
                }

                last = state.Version;
                updateVersions.Add(state.Version);
            }

            writersDone.Signal();
        };

        void Remote()
        {
            for (var i = 0; i < RemoteAttempts; i++)
            {
                // Read-then-apply races with the writers: applied only if nothing moved in between, so the version
                // an applied remote carries is always exactly one past the local one it replaced.
                var version = sync.LocalVersion + 1;
                remoteAttempts++;
                if (sync.ApplyRemote(SyncState.FromData(new JsonObject { ["remote"] = i }, version, DateTimeOffset.UtcNow.AddDays(1))))
                {
                    appliedVersions.Add(version);
                }
            }
        }

        void Confirmer()
        {
            while (!writersDone.IsSet)
            {
                sync.ConfirmSync(sync.LocalVersion - 3);
            }
        }

        void Reader()
        {
            long lastLocal = 0;
            while (!writersDone.IsSet)
            {
                var summary = sync.Summary();
                var pending = sync.GetPendingChanges();
                readerViolations += summary.PendingCount > MaxPending ? 1 : 0;
                readerViolations += pending.Count > MaxPending ? 1 : 0;
                readerViolations += summary.LocalVersion < lastLocal ? 1 : 0;
                readerViolations += summary.RemoteVersion > summary.LocalVersion ? 1 : 0;
                for (var i = 1; i < pending.Count; i++)
                {
                    readerViolations += pending[i].Version <= pending[i - 1].Version ? 1 : 0;
                }

                readerViolations += sync.GetLocalState() is { } s && !s.Verify() ? 1 : 0;
                lastLocal = summary.LocalVersion;
            }
        }

        RunOnThreads(Writer(0), Writer(1), Remote, Confirmer, Reader);

        var all = updateVersions.Concat(appliedVersions).Order().ToArray();
        var summary = sync.Summary();
        var pending = sync.GetPendingChanges();

        await Assert.That(nonMonotonic).IsEqualTo(0);
        await Assert.That(readerViolations).IsEqualTo(0);
        await Assert.That(updateVersions.Count).IsEqualTo(Writers * UpdatesPerWriter);
        await Assert.That(all.Distinct().Count()).IsEqualTo(all.Length);
        await Assert.That(all).IsEquivalentTo(Enumerable.Range(1, all.Length).Select(v => (long)v), TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(sync.LocalVersion).IsEqualTo(updateVersions.Count + appliedVersions.Count);
        await Assert.That(summary.LocalUpdates).IsEqualTo(updateVersions.Count);
        await Assert.That(summary.RemoteApplied).IsEqualTo(appliedVersions.Count);
        await Assert.That(summary.RemoteApplied + summary.RemoteRejected).IsEqualTo(remoteAttempts);
        await Assert.That(summary.DroppedChanges + summary.ConfirmedChanges + summary.PendingCount).IsEqualTo(summary.LocalUpdates);
        await Assert.That(summary.PendingCount).IsLessThanOrEqualTo(MaxPending);
        await Assert.That(pending.All(p => updateVersions.Contains(p.Version))).IsTrue();
        await Assert.That(sync.GetLocalState()!.Verify()).IsTrue();
        await Assert.That(sync.GetLocalState()!.Version).IsEqualTo(sync.LocalVersion);
    }

    [Test]
    public async Task Concurrent_full_updates_each_get_a_unique_version_and_the_last_one_wins()
    {
        var sync = new EdgeSynchronizer(maxPending: 10_000);
        var results = new ConcurrentDictionary<long, int>();

        RunOnThreads(Enumerable.Range(0, 4).Select(t => (Action)(() =>
        {
            for (var i = 0; i < 1_000; i++)
            {
                var value = (t * 1_000) + i;
                var state = sync.UpdateLocal(new JsonObject { ["value"] = value });
                if (!results.TryAdd(state.Version, value))
                {
                    throw new InvalidOperationException($"version {state.Version} handed out twice");
                }
            }
        })).ToArray());

        var local = sync.GetLocalState()!;
        await Assert.That(results.Count).IsEqualTo(4_000);
        await Assert.That(sync.LocalVersion).IsEqualTo(4_000);
        await Assert.That(local.Data.GetProperty("value").GetInt32()).IsEqualTo(results[4_000]);
        await Assert.That(sync.GetPendingChanges().Select(p => p.Version)).IsEquivalentTo(
            Enumerable.Range(1, 4_000).Select(v => (long)v), TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(sync.GetPendingChanges().All(p => p.Data.GetProperty("value").GetInt32() == results[p.Version])).IsTrue();
    }

    [Test]
    public async Task Concurrent_deltas_lose_no_key()
    {
        var sync = new EdgeSynchronizer(maxPending: 50);
        sync.UpdateLocal([]);

        RunOnThreads(Enumerable.Range(0, 4).Select(t => (Action)(() =>
        {
            for (var i = 0; i < 100; i++)
            {
                sync.UpdateLocal(new JsonObject { [$"t{t}-{i}"] = i }, isDelta: true);
            }
        })).ToArray());

        var state = sync.GetLocalState()!;
        await Assert.That(state.Data.EnumerateObject().Count()).IsEqualTo(400);
        await Assert.That(state.Version).IsEqualTo(401);
        await Assert.That(state.Verify()).IsTrue();
        await Assert.That(sync.Summary().DroppedChanges).IsEqualTo(401 - 50);
    }
}
