using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Edge.Runtime;

namespace Edge.Host.Tests.Mqtt;

/// <summary>
/// The broker goes away twice while the node keeps updating: nothing is lost, order holds, and the receiving side
/// applies every version exactly once.
/// </summary>
[NotInParallel("broker-restarts")]
public class OfflineAutonomyTests
{
    [Test]
    public async Task Thousand_updates_across_two_broker_restarts_arrive_complete_in_order_and_apply_once()
    {
        TestBroker.RequireMosquitto("a broker that keeps the subscriber's session and queue across its restart (Mosquitto with persistence)");
        await using var broker = await MosquittoBroker.StartAsync(persistence: true);
        var prefix = BrokerSyncTests.Prefix();
        var topic = $"{prefix}/n1/changes";

        // The cloud side: a persistent session, so the broker queues changes for it while it reconnects too.
        await using var cloud = await MqttProbe.ConnectAsync(broker.Uri, "cloud-" + prefix, persistentSession: true);
        var raw = new ConcurrentDictionary<long, int>();
        var firstPayload = new ConcurrentDictionary<long, byte[]>();
        var identicalRedeliveries = 0;
        var brokerRedeliveries = 0;
        var receiver = new VersionedReceiver();
        cloud.Received += m =>
        {
            if (m.Topic != topic)
            {
                return;
            }

            var version = m.Json["version"]!.GetValue<long>();
            raw.AddOrUpdate(version, 1, (_, n) => n + 1);
            if (!firstPayload.TryAdd(version, m.Payload) && firstPayload[version].AsSpan().SequenceEqual(m.Payload))
            {
                Interlocked.Increment(ref identicalRedeliveries);
            }

            if (m.Dup)
            {
                Interlocked.Increment(ref brokerRedeliveries);
            }

            receiver.Receive(version, m.Json["data"]!.AsObject());
        };
        await cloud.SubscribeAsync(topic);

        await using var node = new BrokerNode(broker.Uri, prefix, "n1");
        await node.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => node.Agent.IsConnected, TimeSpan.FromSeconds(20), "node connected");

        for (var i = 1; i <= 1000; i++)
        {
            node.Sync.UpdateLocal(new JsonObject { ["seq"] = i, ["temp"] = 20 + (i % 10) * 0.25 });
            if (i is 250 or 600)
            {
                // Each outage must hit a live connection (the second one lands while the backlog is still draining).
                await Eventually.TrueAsync(() => node.Agent.IsConnected, TimeSpan.FromSeconds(20), "node connected before the outage");
                await broker.StopAsync();
                await Eventually.TrueAsync(() => !node.Agent.IsConnected, TimeSpan.FromSeconds(20), "node to notice the broker is gone");
            }

            if (i is 400 or 800)
            {
                // The node served every update in between: they are queued, not lost.
                await Assert.That(node.Sync.PendingCount).IsGreaterThanOrEqualTo(150);
                await Assert.That(node.Agent.IsConnected).IsFalse();
                await broker.StartAgainAsync();
            }

            if (i % 50 == 0)
            {
                await Task.Delay(5);
            }
        }

        await Eventually.TrueAsync(() => node.Sync.PendingCount == 0, TimeSpan.FromSeconds(60), "the node's pending queue to empty");
        await Eventually.TrueAsync(() => raw.Count == 1000, TimeSpan.FromSeconds(60), $"all 1000 versions at the subscriber (has {raw.Count})");

        var redelivered = raw.Where(kv => kv.Value > 1).Select(kv => kv.Key).OrderBy(v => v).ToList();
        var nodeFailures = node.Meters.Samples().Single(s => s.Name == "edge_mqtt_publish_failures_total").Value;
        Console.WriteLine(
            $"1000 updates, 2 broker restarts: {raw.Values.Sum()} raw arrivals, {redelivered.Count} versions redelivered " +
            $"[{string.Join(",", redelivered)}], {brokerRedeliveries} with the DUP flag (broker redelivery), " +
            $"{nodeFailures} failed node publishes, node reconnects {node.Agent.Reconnects}, cloud reconnects {cloud.Reconnects}");

        // Never lost, and the receiving side applied each version exactly once, in order.
        await Assert.That(raw.Keys.Order()).IsEquivalentTo(Enumerable.Range(1, 1000).Select(i => (long)i));
        await Assert.That(receiver.Applied).IsEquivalentTo(Enumerable.Range(1, 1000).Select(i => (long)i), TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(receiver.State["seq"]!.GetValue<int>()).IsEqualTo(1000);
        await Assert.That(receiver.OutOfOrder).IsEqualTo(0);

        // QoS 1 is at-least-once, so raw duplicates are legitimate only as byte-identical copies of the first, from two
        // sources: the broker redelivering (DUP flag) what it had not seen acknowledged by the subscriber when it went
        // down, and the node re-sending a change whose PUBACK was lost with its connection (at most one per failed publish).
        var duplicates = raw.Values.Sum() - 1000;
        await Assert.That(identicalRedeliveries).IsEqualTo(duplicates);
        await Assert.That(duplicates - brokerRedeliveries).IsLessThanOrEqualTo((int)nodeFailures);
        await Assert.That(node.Agent.Confirmed).IsEqualTo(1000);
        await Assert.That(node.Agent.Reconnects).IsGreaterThanOrEqualTo(2);
    }

    /// <summary>The documented receiver rule: apply a change only when its version is above the last applied one.</summary>
    private sealed class VersionedReceiver
    {
        private readonly Lock _lock = new();
        private readonly List<long> _applied = [];
        private long _last;

        public JsonObject State { get; private set; } = [];

        public int OutOfOrder { get; private set; }

        public IReadOnlyList<long> Applied
        {
            get
            {
                lock (_lock)
                {
                    return [.. _applied];
                }
            }
        }

        public void Receive(long version, JsonObject data)
        {
            lock (_lock)
            {
                if (version <= _last)
                {
                    return;
                }

                if (version != _last + 1)
                {
                    OutOfOrder++;
                }

                _last = version;
                _applied.Add(version);
                State = (JsonObject)data.DeepClone();
            }
        }
    }
}
