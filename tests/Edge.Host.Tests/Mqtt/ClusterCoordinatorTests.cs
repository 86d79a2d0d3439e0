using System.Text;
using System.Text.Json.Nodes;
using Edge.Host.Fleet;
using Edge.Host.Mqtt;
using Edge.Runtime;
using Microsoft.Extensions.Time.Testing;
using TUnit.Assertions.Enums;

namespace Edge.Host.Tests.Mqtt;

/// <summary>The coordinator against an in-memory transport and a fake clock.</summary>
public class ClusterCoordinatorTests
{
    private const string Prefix = "test/v1";

    [Test]
    public async Task First_heartbeat_registers_the_node_and_later_ones_refresh_it()
    {
        await using var h = await Harness.StartAsync();

        await h.Transport.DeliverAsync($"{Prefix}/n1/heartbeat", Heartbeat("n1", ["gpu"]));
        var first = h.Registry.GetNode("n1");
        await Assert.That(first).IsNotNull();
        await Assert.That(first!.Capabilities).IsEquivalentTo(new[] { "gpu" });
        await Assert.That(first.Status).IsEqualTo(EdgeNodeStatus.Online);
        await Assert.That(first.HeardFrom).IsTrue();
        var stamp = first.LastSeen;

        h.Time.Advance(TimeSpan.FromSeconds(3));
        await h.Transport.DeliverAsync($"{Prefix}/n1/heartbeat", Heartbeat("n1", ["gpu"]));

        // Entries are immutable: the registry replaced it, seen 3 s later, listed once.
        var second = h.Registry.GetNode("n1")!;
        await Assert.That(second.LastSeen).IsEqualTo(stamp + TimeSpan.FromSeconds(3));
        await Assert.That(first.LastSeen).IsEqualTo(stamp);
        await Assert.That(h.Registry.Count).IsEqualTo(1);
        await Assert.That(h.Coordinator.HeartbeatsReceived).IsEqualTo(2);
        await Assert.That(h.Coordinator.LastHeartbeat("n1")!.FunctionCount).IsEqualTo(2);
    }

    [Test]
    public async Task An_Offline_status_marks_the_node_Offline_and_Online_brings_it_back()
    {
        await using var h = await Harness.StartAsync();
        var changes = new List<(string, EdgeNodeStatus)>();
        h.Coordinator.NodeStatusChanged += (id, s) => changes.Add((id, s));
        await h.Transport.DeliverAsync($"{Prefix}/n1/heartbeat", Heartbeat("n1", []));

        await h.Transport.DeliverAsync($"{Prefix}/n1/status", Status("n1", "Offline", "lost"), retained: true);
        await Assert.That(h.Registry.GetNode("n1")!.Status).IsEqualTo(EdgeNodeStatus.Offline);
        await Assert.That(h.Coordinator.LastWills).IsEqualTo(1);

        await h.Transport.DeliverAsync($"{Prefix}/n1/status", Status("n1", "Online", "connected"), retained: true);
        await Assert.That(h.Registry.GetNode("n1")!.Status).IsEqualTo(EdgeNodeStatus.Online);
        await Assert.That(changes).IsEquivalentTo(new[] { ("n1", EdgeNodeStatus.Online), ("n1", EdgeNodeStatus.Offline), ("n1", EdgeNodeStatus.Online) }, CollectionOrdering.Matching);

        // A retained Offline of a node never seen lists it as Offline.
        await h.Transport.DeliverAsync($"{Prefix}/ghost/status", Status("ghost", "offline", "lost"), retained: true);
        await Assert.That(h.Registry.GetNode("ghost")!.Status).IsEqualTo(EdgeNodeStatus.Offline);
    }

    [Test]
    public async Task A_node_silent_past_the_offline_timeout_is_marked_Offline_by_the_sweep()
    {
        await using var h = await Harness.StartAsync();
        await h.Transport.DeliverAsync($"{Prefix}/n1/heartbeat", Heartbeat("n1", []));
        await h.Transport.DeliverAsync($"{Prefix}/n2/heartbeat", Heartbeat("n2", []));

        h.Time.Advance(TimeSpan.FromSeconds(10));
        await h.Transport.DeliverAsync($"{Prefix}/n2/heartbeat", Heartbeat("n2", []));
        await Assert.That(h.Registry.GetNode("n1")!.Status).IsEqualTo(EdgeNodeStatus.Online);

        h.Time.Advance(TimeSpan.FromSeconds(6));

        await Assert.That(h.Registry.GetNode("n1")!.Status).IsEqualTo(EdgeNodeStatus.Offline);
        await Assert.That(h.Registry.GetNode("n2")!.Status).IsEqualTo(EdgeNodeStatus.Online);
        await Assert.That(h.Coordinator.TimedOut).IsEqualTo(1);
    }

    [Test]
    public async Task The_sweep_waits_while_the_coordinator_itself_is_disconnected()
    {
        await using var h = await Harness.StartAsync();
        await h.Transport.DeliverAsync($"{Prefix}/n1/heartbeat", Heartbeat("n1", []));
        h.Transport.FailConnects = true;
        h.Transport.Drop();

        h.Time.Advance(TimeSpan.FromSeconds(60));

        await Assert.That(h.Coordinator.Sweep()).IsEqualTo(0);
        await Assert.That(h.Registry.GetNode("n1")!.Status).IsEqualTo(EdgeNodeStatus.Online);
    }

    [Test]
    public async Task Malformed_mismatched_and_oversize_messages_are_rejected_and_counted()
    {
        await using var h = await Harness.StartAsync(maxMessageBytes: 2048);

        await h.Transport.DeliverAsync($"{Prefix}/n1/heartbeat", Encoding.UTF8.GetBytes("{oops"));
        await h.Transport.DeliverAsync($"{Prefix}/n1/heartbeat", Heartbeat("n2", []));
        await h.Transport.DeliverAsync($"{Prefix}/n1/status", Encoding.UTF8.GetBytes("""{"nodeId":"n1","status":"Sleeping"}"""));
        await h.Transport.DeliverAsync($"{Prefix}/n1/heartbeat", new byte[4096]);

        await Assert.That(h.Coordinator.RejectedMalformed).IsEqualTo(3);
        await Assert.That(h.Coordinator.RejectedOversize).IsEqualTo(1);
        await Assert.That(h.Registry.Count).IsEqualTo(0);
    }

    [Test]
    public async Task Heartbeats_statuses_and_results_with_bad_bytes_or_duplicate_keys_are_rejected_before_parsing()
    {
        await using var h = await Harness.StartAsync();
        static byte[] Bytes(string before, byte[] raw, string after) => [.. Encoding.UTF8.GetBytes(before), .. raw, .. Encoding.UTF8.GetBytes(after)];
        const string Rest = "\",\"status\":\"Online\",\"capabilities\":[],\"timestamp\":\"2026-01-01T00:00:00Z\"}"; // closes the string before it

        // Invalid UTF-8 in the name; an unpaired surrogate escape in a capability; the node id given twice (a parser
        // keeping the last one would accept it for n1); the same for a status and for both kinds of result.
        await h.Transport.DeliverAsync($"{Prefix}/n1/heartbeat", Bytes("""{"nodeId":"n1","name":"gw""", [0xFF, 0xFE], Rest));
        await h.Transport.DeliverAsync($"{Prefix}/n1/heartbeat", Encoding.UTF8.GetBytes("""{"nodeId":"n1","capabilities":["cam\ud800"],"status":"Online"}"""));
        await h.Transport.DeliverAsync($"{Prefix}/n1/heartbeat", Encoding.UTF8.GetBytes("""{"nodeId":"n2","nodeId":"n1""" + Rest));
        await h.Transport.DeliverAsync($"{Prefix}/n1/status", Encoding.UTF8.GetBytes("""{"nodeId":"n1","status":"online","status":"offline","reason":"lost"}"""));
        await h.Transport.DeliverAsync($"{Prefix}/n1/status", Bytes("""{"nodeId":"n1","status":"offline","reason":"l""", [0xC0, 0xAF], "\"}"));
        await h.Transport.DeliverAsync($"{Prefix}/n1/desired/result", Encoding.UTF8.GetBytes("""{"nodeId":"n1","version":1,"applied":true,"applied":false}"""));
        await h.Transport.DeliverAsync($"{Prefix}/n1/deploy/result", Encoding.UTF8.GetBytes("""{"nodeId":"n1","functionId":"\udc00","action":"deploy","applied":true}"""));

        await Assert.That(h.Coordinator.RejectedMalformed).IsEqualTo(7);
        await Assert.That(h.Coordinator.HeartbeatsReceived).IsEqualTo(0);
        await Assert.That(h.Registry.Count).IsEqualTo(0);
        await Assert.That(h.Coordinator.LastHeartbeat("n1")).IsNull();

        // The same heartbeat without the bad bytes registers the node.
        await h.Transport.DeliverAsync($"{Prefix}/n1/heartbeat", Encoding.UTF8.GetBytes("""{"nodeId":"n1","name":"gw""" + Rest));
        await Assert.That(h.Registry.GetNode("n1")!.Name).IsEqualTo("gw");
        await Assert.That(h.Coordinator.RejectedMalformed).IsEqualTo(7);
    }

    [Test]
    public async Task Intents_go_to_one_node_or_to_every_reachable_node_with_the_capability()
    {
        await using var h = await Harness.StartAsync();
        await h.Transport.DeliverAsync($"{Prefix}/a/heartbeat", Heartbeat("a", ["gpu"]));
        await h.Transport.DeliverAsync($"{Prefix}/b/heartbeat", Heartbeat("b", ["gpu", "camera"]));
        await h.Transport.DeliverAsync($"{Prefix}/c/heartbeat", Heartbeat("c", ["camera"]));
        await h.Transport.DeliverAsync($"{Prefix}/d/heartbeat", Heartbeat("d", ["gpu"]));
        await h.Transport.DeliverAsync($"{Prefix}/d/status", Status("d", "Offline", "lost"));

        var gpu = await h.Coordinator.SendDeployAsync("detect", "deploy", capability: "gpu");
        var one = await h.Coordinator.SendDeployAsync("echo", "undeploy", nodeId: "c");
        var unknown = await h.Coordinator.SendDeployAsync("echo", "deploy", nodeId: "zz");
        var all = await h.Coordinator.SendDeployAsync("echo", "deploy");
        var desired = await h.Coordinator.SendDesiredToCapabilityAsync("camera", SyncState.FromData(new JsonObject { ["fps"] = 5 }, 3));

        await Assert.That(gpu.Sent).IsEqualTo(2);
        await Assert.That(gpu.Nodes).IsEquivalentTo(new[] { "a", "b" });
        await Assert.That(one.Sent).IsEqualTo(1);
        await Assert.That(unknown.Sent).IsEqualTo(0);
        await Assert.That(all.Sent).IsEqualTo(3);
        await Assert.That(desired.Nodes).IsEquivalentTo(new[] { "b", "c" });
        var intent = JsonNode.Parse(h.Transport.PublishedOn($"{Prefix}/c/deploy")[0])!;
        await Assert.That(intent["functionId"]!.GetValue<string>()).IsEqualTo("echo");
        await Assert.That(intent["action"]!.GetValue<string>()).IsEqualTo("undeploy");
        var state = JsonNode.Parse(h.Transport.PublishedOn($"{Prefix}/b/desired")[0])!;
        await Assert.That(state["checksum"]!.GetValue<string>()).IsEqualTo(StateChecksum.Compute(new JsonObject { ["fps"] = 5 }));
        await Assert.That(h.Transport.Published.All(p => p.Delivery == MqttDelivery.AtLeastOnce && !p.Retain)).IsTrue();
        await Assert.That(() => (Task)h.Coordinator.SendDeployAsync("echo", "explode")).Throws<ArgumentException>();

        h.Transport.FailConnects = true;
        h.Transport.Drop();
        await Assert.That(() => (Task)h.Coordinator.SendDeployAsync("echo", "deploy")).Throws<InvalidOperationException>();
    }

    [Test]
    public async Task Heartbeats_report_remote_functions_with_their_descriptors()
    {
        await using var h = await Harness.StartAsync();
        var payload = Encoding.UTF8.GetBytes("""
            {"nodeId":"n1","name":"gate","status":"Online","capabilities":["gpu"],"functionCount":2,
             "functions":["echo","detect"],
             "deployed":[{"id":"echo","name":"Echo","memoryMb":64,"timeoutSeconds":5,"requiredCapabilities":[]},
                         {"id":"detect","name":"Detect","memoryMb":512,"timeoutSeconds":30,"requiredCapabilities":["gpu"]}],
             "localVersion":3,"remoteVersion":2,"pending":1,"timestamp":"2026-01-01T00:00:00Z"}
            """);
        await h.Transport.DeliverAsync($"{Prefix}/n1/heartbeat", payload);

        // A node of an earlier release sends ids only: listed by id.
        await h.Transport.DeliverAsync($"{Prefix}/n2/heartbeat", Heartbeat("n2", []));

        var n1 = h.Registry.GetNode("n1")!;
        await Assert.That(n1.Functions.Select(f => (f.Id, f.MemoryMb, f.TimeoutSeconds))).IsEquivalentTo(new[] { ("echo", 64, 5), ("detect", 512, 30) }, CollectionOrdering.Matching);
        await Assert.That(n1.Functions[1].RequiredCapabilities).IsEquivalentTo(new[] { "gpu" });
        await Assert.That((n1.LocalVersion, n1.RemoteVersion, n1.Pending)).IsEqualTo((3L, 2L, 1));
        await Assert.That(h.Registry.GetNode("n2")!.Functions.Select(f => f.Id)).IsEquivalentTo(new[] { "echo", "sensor-stats" }, CollectionOrdering.Matching);
        await Assert.That(h.Registry.Health().TotalFunctions).IsEqualTo(4);
    }

    private static byte[] Heartbeat(string id, string[] capabilities) => Encoding.UTF8.GetBytes(new JsonObject
    {
        ["nodeId"] = id,
        ["name"] = id.ToUpperInvariant(),
        ["status"] = "Online",
        ["capabilities"] = new JsonArray([.. capabilities.Select(c => (JsonNode)c)]),
        ["functionCount"] = 2,
        ["functions"] = new JsonArray("echo", "sensor-stats"),
        ["timestamp"] = "2026-01-01T00:00:00Z",
    }.ToJsonString());

    private static byte[] Status(string id, string status, string reason) =>
        Encoding.UTF8.GetBytes($$"""{"nodeId":"{{id}}","status":"{{status}}","reason":"{{reason}}","timestamp":"2026-01-01T00:00:00Z"}""");

    private sealed class Harness : IAsyncDisposable
    {
        private Harness(int maxMessageBytes)
        {
            Time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
            Registry = new FleetRegistry(Time);
            Transport = new FakeTransport();
            var options = new MqttOptions
            {
                Broker = "mqtt://127.0.0.1:1",
                TopicPrefix = Prefix,
                HeartbeatInterval = TimeSpan.FromSeconds(5),
                OfflineTimeout = TimeSpan.FromSeconds(15),
                MaxMessageBytes = maxMessageBytes,
            };
            Coordinator = new ClusterCoordinator(Registry, options, "coord", Time, Transport);
        }

        public FakeTimeProvider Time { get; }

        public FleetRegistry Registry { get; }

        public FakeTransport Transport { get; }

        public ClusterCoordinator Coordinator { get; }

        public static async Task<Harness> StartAsync(int maxMessageBytes = 256 * 1024)
        {
            var h = new Harness(maxMessageBytes);
            await h.Coordinator.StartAsync(CancellationToken.None);
            await Eventually.TrueAsync(() => h.Coordinator.IsConnected, TimeSpan.FromSeconds(10), "coordinator connected");
            return h;
        }

        public ValueTask DisposeAsync() => Coordinator.DisposeAsync();
    }
}
