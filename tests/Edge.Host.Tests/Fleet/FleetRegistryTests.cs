using Edge.Host.Fleet;
using Edge.Host.Functions;
using Edge.Runtime;
using Microsoft.Extensions.Time.Testing;
using TUnit.Assertions.Enums;

namespace Edge.Host.Tests.Fleet;

/// <summary>The coordinator's registry: what heartbeats, presence and operators say, with no runtimes behind it.</summary>
public class FleetRegistryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static FleetNode Report(string id, EdgeNodeStatus status = EdgeNodeStatus.Online, params FunctionInfo[] functions) =>
        new(id, id.ToUpperInvariant(), "hall", status, ["camera"], [], T0, HeardFrom: true, functions, LocalVersion: 7, RemoteVersion: 5, Pending: 2, InFlight: 1);

    [Test]
    public async Task A_heartbeat_lists_the_node_with_its_functions_and_versions_and_keeps_operator_metadata()
    {
        var time = new FakeTimeProvider(T0);
        var registry = new FleetRegistry(time);
        registry.Register("n1", "gate", "yard", ["gpu"], new() { ["rack"] = 4 }, EdgeNodeStatus.Maintenance);
        await Assert.That(registry.GetNode("n1")!.HeardFrom).IsFalse();

        time.Advance(TimeSpan.FromSeconds(10));
        var change = registry.Observe(Report("n1", EdgeNodeStatus.Online, new FunctionInfo("echo", "Echo", 64, 5, []), new FunctionInfo("detect", "Detect", 512, 30, ["gpu"])));

        await Assert.That(change).IsEqualTo(new FleetStatusChange("n1", EdgeNodeStatus.Maintenance, EdgeNodeStatus.Online));
        var node = registry.GetNode("n1")!;
        await Assert.That(node.HeardFrom).IsTrue();
        await Assert.That(node.Name).IsEqualTo("N1");
        await Assert.That(node.LastSeen).IsEqualTo(T0.AddSeconds(10));
        await Assert.That(node.Metadata["rack"]!.GetValue<int>()).IsEqualTo(4);
        await Assert.That(node.Functions.Select(f => f.Id)).IsEquivalentTo(new[] { "echo", "detect" }, CollectionOrdering.Matching);
        await Assert.That(node.Functions[1].MemoryMb).IsEqualTo(512);
        await Assert.That((node.LocalVersion, node.RemoteVersion, node.Pending, node.InFlight)).IsEqualTo((7L, 5L, 2, 1));
        await Assert.That(registry.Health().TotalFunctions).IsEqualTo(2);

        // The same status again is no change; a node calling itself Offline in a heartbeat is alive, so Online.
        await Assert.That(registry.Observe(Report("n1"))).IsNull();
        await Assert.That(registry.Observe(Report("n1", EdgeNodeStatus.Offline))).IsNull();
        await Assert.That(registry.GetNode("n1")!.Status).IsEqualTo(EdgeNodeStatus.Online);
    }

    [Test]
    public async Task Presence_lists_unknown_nodes_and_offline_keeps_the_last_seen_time()
    {
        var time = new FakeTimeProvider(T0);
        var registry = new FleetRegistry(time);
        await Assert.That(registry.ObservePresence("ghost", EdgeNodeStatus.Offline)).IsEqualTo(new FleetStatusChange("ghost", null, EdgeNodeStatus.Offline));
        await Assert.That(registry.ObservePresence("ghost", EdgeNodeStatus.Offline)).IsNull();

        time.Advance(TimeSpan.FromSeconds(5));
        await Assert.That(registry.ObservePresence("ghost", EdgeNodeStatus.Online)).IsEqualTo(new FleetStatusChange("ghost", EdgeNodeStatus.Offline, EdgeNodeStatus.Online));
        time.Advance(TimeSpan.FromSeconds(5));
        registry.ObservePresence("ghost", EdgeNodeStatus.Offline);
        await Assert.That(registry.GetNode("ghost")!.LastSeen).IsEqualTo(T0.AddSeconds(5));
    }

    [Test]
    public async Task Sweep_marks_silent_nodes_offline_once_in_listing_order()
    {
        var time = new FakeTimeProvider(T0);
        var registry = new FleetRegistry(time);
        registry.Observe(Report("a"));
        registry.Observe(Report("b"));
        time.Advance(TimeSpan.FromSeconds(10));
        registry.Observe(Report("c"));
        registry.Register("d", "d", "", [], [], EdgeNodeStatus.Online);
        time.Advance(TimeSpan.FromSeconds(6));

        var changes = registry.Sweep(TimeSpan.FromSeconds(15));

        await Assert.That(changes.Select(c => c.NodeId)).IsEquivalentTo(new[] { "a", "b" }, CollectionOrdering.Matching);
        await Assert.That(registry.Sweep(TimeSpan.FromSeconds(15)).Count).IsEqualTo(0);
        await Assert.That(registry.ListNodes(EdgeNodeStatus.Online).Select(n => n.Id)).IsEquivalentTo(new[] { "c", "d" }, CollectionOrdering.Matching);
        var health = registry.Health();
        await Assert.That((health.TotalNodes, health.Online, health.Offline)).IsEqualTo((4, 2, 2));
    }

    [Test]
    public async Task Http_registration_and_heartbeat_keep_what_the_node_reported()
    {
        var time = new FakeTimeProvider(T0);
        var registry = new FleetRegistry(time);
        registry.Observe(Report("n1", EdgeNodeStatus.Online, new FunctionInfo("echo", "Echo", 64, 5, [])));

        var registered = registry.Register("n1", "renamed", "roof", ["lidar"], [], EdgeNodeStatus.Degraded);

        await Assert.That(registered.HeardFrom).IsTrue();
        await Assert.That(registered.Functions.Count).IsEqualTo(1);
        await Assert.That(registered.LocalVersion).IsEqualTo(7);
        await Assert.That(registered.Capabilities).IsEquivalentTo(new[] { "lidar" });
        time.Advance(TimeSpan.FromSeconds(1));
        await Assert.That(registry.Heartbeat("n1")!.Status).IsEqualTo(EdgeNodeStatus.Online);
        await Assert.That(registry.GetNode("n1")!.LastSeen).IsEqualTo(T0.AddSeconds(1));
        await Assert.That(registry.Heartbeat("nope")).IsNull();
        await Assert.That(registry.Deregister("n1")).IsTrue();
        await Assert.That(registry.Deregister("n1")).IsFalse();
        await Assert.That(registry.Count).IsEqualTo(0);
    }
}
