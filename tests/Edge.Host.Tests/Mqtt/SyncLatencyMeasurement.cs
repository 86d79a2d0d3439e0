using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Edge.Runtime;

namespace Edge.Host.Tests.Mqtt;

/// <summary>
/// End-to-end sync through a loopback Mosquitto: UpdateLocal on the node to arrival at an independent subscriber.
/// Asserts completeness and order; the timings are printed (never asserted) for the report:
/// <c>cd tests/Edge.Host.Tests &amp;&amp; dotnet run -c Release -- --treenode-filter "/*/*/SyncLatencyMeasurement/*" --output Detailed</c>.
/// </summary>
[NotInParallel("broker-restarts")]
public class SyncLatencyMeasurement
{
    [Test]
    [Arguments(false)]
    [Arguments(true)]
    public async Task Thousand_paced_updates_and_a_burst_arrive_complete_and_in_order(bool durable)
    {
        await using var broker = await TestBroker.StartAsync();
        var prefix = BrokerSyncTests.Prefix();
        var topic = $"{prefix}/n1/changes";
        var dataDir = Directory.CreateTempSubdirectory("edge-mqtt-latency-").FullName;
        var store = durable ? new FileSyncStore(new FileSyncStoreOptions(dataDir)) : null;
        try
        {
            var sync = new EdgeSynchronizer(maxPending: 100_000, store: store);
            await using var cloud = await MqttProbe.ConnectAsync(broker.Uri, "cloud-" + prefix);
            var arrivals = new ConcurrentDictionary<long, long>();
            var order = new ConcurrentQueue<long>();
            var waiting = new ConcurrentDictionary<long, TaskCompletionSource>();
            cloud.Received += m =>
            {
                var version = m.Json["version"]!.GetValue<long>();
                arrivals.TryAdd(version, m.ArrivedAt);
                order.Enqueue(version);
                if (waiting.TryRemove(version, out var tcs))
                {
                    tcs.TrySetResult();
                }
            };
            await cloud.SubscribeAsync(topic);
            await using var node = new BrokerNode(broker.Uri, prefix, "n1", sync: sync);
            await node.Agent.StartAsync(CancellationToken.None);
            await Eventually.TrueAsync(() => node.Agent.IsConnected, TimeSpan.FromSeconds(20), "connected");

            // Paced: one update at a time, the next after the previous arrived (idle-node latency).
            const int paced = 1000;
            var started = new long[paced + 1];
            for (var v = 1; v <= paced; v++)
            {
                var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                waiting[v] = arrived;
                started[v] = Stopwatch.GetTimestamp();
                sync.UpdateLocal(new JsonObject { ["seq"] = v, ["temp"] = 21.5 });
                await arrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
            }

            var pacedMs = Enumerable.Range(1, paced).Select(v => Ms(arrivals[v] - started[v])).Order().ToArray();

            // Burst: 5,000 updates as fast as the node makes them; throughput from first update to last arrival.
            const int burst = 5000;
            var burstStart = new long[burst + 1];
            var t0 = Stopwatch.GetTimestamp();
            for (var i = 1; i <= burst; i++)
            {
                burstStart[i] = Stopwatch.GetTimestamp();
                sync.UpdateLocal(new JsonObject { ["seq"] = paced + i, ["temp"] = 21.5 });
            }

            var updatesDone = Stopwatch.GetTimestamp();
            await Eventually.TrueAsync(() => arrivals.Count == paced + burst, TimeSpan.FromSeconds(120), "burst arrivals");
            var last = arrivals.Values.Max();
            var burstMs = Enumerable.Range(1, burst).Select(i => Ms(arrivals[paced + i] - burstStart[i])).Order().ToArray();
            var seconds = (last - t0) / (double)Stopwatch.Frequency;

            await Assert.That(order.ToArray()).IsEquivalentTo(Enumerable.Range(1, paced + burst).Select(i => (long)i), TUnit.Assertions.Enums.CollectionOrdering.Matching);
            await Eventually.TrueAsync(() => sync.PendingCount == 0, TimeSpan.FromSeconds(30), "queue confirmed");

            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"MQTT sync ({(durable ? "durable journal, group commit" : "in-memory synchronizer")}), loopback Mosquitto, {Environment.ProcessorCount} cores: " +
                $"paced {paced} updates p50 {Pct(pacedMs, 50):0.000} ms p99 {Pct(pacedMs, 99):0.000} ms max {pacedMs[^1]:0.000} ms; " +
                $"burst {burst} updates (made in {Ms(updatesDone - t0):0} ms) delivered in {seconds * 1000:0} ms = {burst / seconds:0} msg/s, " +
                $"burst latency p50 {Pct(burstMs, 50):0.0} ms p99 {Pct(burstMs, 99):0.0} ms"));
        }
        finally
        {
            store?.Dispose();
            Directory.Delete(dataDir, recursive: true);
        }
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static double Pct(double[] sorted, int p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];
}
