using System.Text.Json.Nodes;
using Edge.Runtime;
using Microsoft.Extensions.Time.Testing;
using TUnit.Assertions.Enums;

namespace Edge.Runtime.Tests.Sync;

/// <summary>The change feed announces every committed version (local, remote, confirm) once, in order.</summary>
public class ChangeFeedTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    [Test]
    [Arguments(ConflictStrategy.RemoteWins)]
    [Arguments(ConflictStrategy.LocalWins)]
    [Arguments(ConflictStrategy.LatestWins)]
    public async Task Every_committed_change_is_announced_once_in_order(ConflictStrategy strategy)
    {
        var seed = Environment.TickCount;
        Console.WriteLine($"ChangeFeedTests seed {seed}");
        var random = new Random(seed);
        var clock = new FakeTimeProvider(T0);
        var sync = new EdgeSynchronizer(strategy, maxPending: 8, timeProvider: clock);
        using var feed = sync.Subscribe();
        var expected = new List<(SyncChangeKind Kind, long Version, long Remote, int Pending)>();

        for (var i = 0; i < 400; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(random.Next(0, 3)));
            switch (random.Next(6))
            {
                case 0:
                case 1:
                    sync.UpdateLocal(new JsonObject { [$"k{random.Next(5)}"] = i }, isDelta: random.Next(2) == 0);
                    expected.Add((SyncChangeKind.LocalUpdate, sync.LocalVersion, sync.RemoteVersion, sync.PendingCount));
                    break;
                case 2:
                case 3:
                    // Newer, stale, or with a bad checksum: only what is applied is announced.
                    var version = sync.LocalVersion + random.Next(-1, 3);
                    var remote = SyncState.FromData(new JsonObject { ["r"] = i }, Math.Max(1, version), clock.GetUtcNow().AddSeconds(random.Next(-2, 3)));
                    if (random.Next(5) == 0)
                    {
                        remote = remote with { Checksum = new string('0', 32) };
                    }

                    if (sync.ApplyRemote(remote, out _))
                    {
                        expected.Add((SyncChangeKind.RemoteApplied, sync.LocalVersion, sync.RemoteVersion, sync.PendingCount));
                    }

                    break;
                default:
                    var before = (sync.RemoteVersion, sync.PendingCount);
                    sync.ConfirmSync(sync.LocalVersion - random.Next(0, 3));
                    if ((sync.RemoteVersion, sync.PendingCount) != before)
                    {
                        expected.Add((SyncChangeKind.Confirmed, sync.LocalVersion, sync.RemoteVersion, sync.PendingCount));
                    }

                    break;
            }
        }

        var seen = new List<(SyncChangeKind, long, long, int)>();
        while (feed.Changes.TryRead(out var change))
        {
            seen.Add((change.Kind, change.Version, change.RemoteVersion, change.PendingCount));
        }

        await Assert.That(expected.Count(e => e.Kind == SyncChangeKind.RemoteApplied)).IsGreaterThan(0);
        await Assert.That(expected.Count(e => e.Kind == SyncChangeKind.Confirmed)).IsGreaterThan(0);
        await Assert.That(seen).IsEquivalentTo(expected, CollectionOrdering.Matching);
    }

    [Test]
    public async Task Concurrent_writers_versions_each_arrive_once_in_version_order()
    {
        var sync = new EdgeSynchronizer(maxPending: 10_000);
        using var feed = sync.Subscribe();
        const int Threads = 4;
        const int PerThread = 250;
        var writers = Enumerable.Range(0, Threads).Select(t => Task.Run(async () =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                // Sync and async forms interleaved.
                if (i % 2 == 0)
                {
                    sync.UpdateLocal(new JsonObject { [$"t{t}"] = i }, isDelta: true);
                }
                else
                {
                    await sync.UpdateLocalAsync(new JsonObject { [$"t{t}"] = i }, isDelta: true);
                }
            }
        })).ToArray();
        await Task.WhenAll(writers);

        var versions = new List<long>();
        while (feed.Changes.TryRead(out var change))
        {
            versions.Add(change.Version);
        }

        await Assert.That(versions).IsEquivalentTo(Enumerable.Range(1, Threads * PerThread).Select(v => (long)v).ToList(), CollectionOrdering.Matching);
    }

    [Test]
    public async Task A_subscription_starts_at_the_current_state_and_ends_when_disposed()
    {
        var sync = new EdgeSynchronizer();
        var first = sync.UpdateLocal(new JsonObject { ["a"] = 1 });
        var feed = sync.Subscribe();
        await Assert.That(feed.Start).IsSameReferenceAs(first);
        await Assert.That(feed.Changes.TryRead(out _)).IsFalse();

        var second = sync.UpdateLocal(new JsonObject { ["b"] = 2 }, isDelta: true);
        feed.Dispose();
        sync.UpdateLocal(new JsonObject { ["c"] = 3 }, isDelta: true);

        await Assert.That(feed.Changes.TryRead(out var change)).IsTrue();
        await Assert.That(change!.State).IsSameReferenceAs(second);
        await Assert.That(change.Change!.IsDelta).IsTrue();
        await Assert.That(feed.Changes.TryRead(out _)).IsFalse();
        await Assert.That(feed.Changes.Completion.IsCompleted).IsTrue();
    }

    [Test]
    public async Task Refusals_and_confirms_that_change_nothing_are_not_announced()
    {
        var sync = new EdgeSynchronizer();
        using var feed = sync.Subscribe();
        await Assert.That(sync.ConfirmSync(5)).IsEqualTo(0);
        await Assert.That(sync.ApplyRemote(SyncState.FromData(new JsonObject(), 0, T0))).IsFalse();
        var result = await sync.ApplyRemoteAsync(SyncState.FromData(new JsonObject { ["x"] = 1 }, 3, T0) with { Checksum = "bad" });
        await Assert.That(result.Applied).IsFalse();
        await Assert.That(result.Reason).IsEqualTo("checksum mismatch for version 3");
        await Assert.That(feed.Changes.TryRead(out _)).IsFalse();
        await Assert.That(sync.Summary().RemoteRejected).IsEqualTo(2);
    }
}
