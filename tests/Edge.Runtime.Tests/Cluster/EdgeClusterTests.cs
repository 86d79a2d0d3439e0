using Edge.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Runtime.Tests.Cluster;

public class EdgeClusterTests
{
    private static readonly DateTimeOffset Start = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    private static EdgeFunction Fn(string id, params string[] caps) =>
        new(id, id, (Func<int, int>)(x => x * 2)) { RequiredCapabilities = caps };

    private static (EdgeCluster Cluster, FakeTimeProvider Time) Cluster(params EdgeNode[] nodes)
    {
        var time = new FakeTimeProvider(Start);
        var cluster = new EdgeCluster(time);
        foreach (var node in nodes)
        {
            cluster.RegisterNode(node);
        }

        return (cluster, time);
    }

    [Test]
    public async Task Spec_example()
    {
        var cluster = new EdgeCluster();
        var node = new EdgeNode("edge-01", "warehouse-sensor");
        var func = Fn("fn-1");

        cluster.RegisterNode(node);
        cluster.Heartbeat("edge-01");
        await Assert.That(cluster.GetNode("edge-01")).IsSameReferenceAs(node);
        await Assert.That(cluster.GetRuntime("edge-01")!.Node).IsSameReferenceAs(node);
        await Assert.That(cluster.ListNodes().Count).IsEqualTo(1);
        await Assert.That(cluster.ListNodes(EdgeNodeStatus.Online).Count).IsEqualTo(1);
        var count = cluster.DeployToAll(func);
        await Assert.That(count).IsEqualTo(1);
        await Assert.That(cluster.GetRuntime("edge-01")!.Invoke<int, int>("fn-1", 21)).IsEqualTo(42);
        await Assert.That(cluster.DeregisterNode("edge-01")).IsTrue();
        await Assert.That(cluster.GetNode("edge-01")).IsNull();
    }

    [Test]
    public async Task Register_stamps_the_heartbeat_from_the_clock()
    {
        var (cluster, time) = Cluster();
        var node = new EdgeNode("a", "a") { LastHeartbeat = DateTimeOffset.MinValue };
        time.Advance(TimeSpan.FromMinutes(5));

        cluster.RegisterNode(node);

        await Assert.That(node.LastHeartbeat).IsEqualTo(Start.AddMinutes(5));
        await Assert.That(cluster.Count).IsEqualTo(1);
    }

    [Test]
    public async Task Register_same_id_replaces_the_node_and_its_runtime()
    {
        var (cluster, _) = Cluster(new EdgeNode("a", "old"));
        cluster.DeployToAll(Fn("f"));
        var replacement = new EdgeNode("a", "new");

        cluster.RegisterNode(replacement);

        await Assert.That(cluster.Count).IsEqualTo(1);
        await Assert.That(cluster.GetNode("a")!.Name).IsEqualTo("new");
        await Assert.That(cluster.GetRuntime("a")!.Node).IsSameReferenceAs(replacement);
        await Assert.That(cluster.GetRuntime("a")!.FunctionCount).IsEqualTo(0);
    }

    [Test]
    public async Task Register_null_is_rejected()
    {
        var cluster = new EdgeCluster();

        await Assert.That(() => cluster.RegisterNode(null!)).Throws<ArgumentNullException>();
    }

    [Test]
    public async Task Deregister_reports_whether_it_removed()
    {
        var (cluster, _) = Cluster(new EdgeNode("a", "a"));

        await Assert.That(cluster.DeregisterNode("a")).IsTrue();
        await Assert.That(cluster.DeregisterNode("a")).IsFalse();
        await Assert.That(cluster.DeregisterNode("zzz")).IsFalse();
        await Assert.That(cluster.Count).IsEqualTo(0);
        await Assert.That(cluster.GetRuntime("a")).IsNull();
    }

    [Test]
    public async Task Heartbeat_sets_now_and_online_by_default()
    {
        var node = new EdgeNode("a", "a");
        var (cluster, time) = Cluster(node);
        node.Status = EdgeNodeStatus.Offline;
        time.Advance(TimeSpan.FromSeconds(90));

        cluster.Heartbeat("a");

        await Assert.That(node.Status).IsEqualTo(EdgeNodeStatus.Online);
        await Assert.That(node.LastHeartbeat).IsEqualTo(Start.AddSeconds(90));
    }

    [Test]
    [Arguments(EdgeNodeStatus.Degraded)]
    [Arguments(EdgeNodeStatus.Syncing)]
    [Arguments(EdgeNodeStatus.Offline)]
    [Arguments(EdgeNodeStatus.Online)]
    public async Task Heartbeat_with_a_status_sets_it(EdgeNodeStatus status)
    {
        var node = new EdgeNode("a", "a");
        var (cluster, _) = Cluster(node);

        cluster.Heartbeat("a", status);

        await Assert.That(node.Status).IsEqualTo(status);
    }

    [Test]
    public async Task Heartbeat_of_unknown_node_is_a_no_op_that_returns_false()
    {
        var node = new EdgeNode("a", "a");
        var (cluster, time) = Cluster(node);
        time.Advance(TimeSpan.FromSeconds(30));

        await Assert.That(cluster.Heartbeat("ghost")).IsFalse();
        await Assert.That(cluster.Heartbeat("ghost", EdgeNodeStatus.Degraded)).IsFalse();

        // Nothing registered, nothing else touched.
        await Assert.That(cluster.GetNode("ghost")).IsNull();
        await Assert.That(cluster.Count).IsEqualTo(1);
        await Assert.That(node.LastHeartbeat).IsEqualTo(Start);
        await Assert.That(node.Status).IsEqualTo(EdgeNodeStatus.Online);
    }

    [Test]
    public async Task Heartbeat_of_a_registered_node_returns_true()
    {
        var node = new EdgeNode("a", "a");
        var (cluster, _) = Cluster(node);

        await Assert.That(cluster.Heartbeat("a")).IsTrue();
        await Assert.That(cluster.Heartbeat("a", EdgeNodeStatus.Degraded)).IsTrue();
        await Assert.That(node.Status).IsEqualTo(EdgeNodeStatus.Degraded);
    }

    [Test]
    public async Task Heartbeat_of_a_deregistered_node_returns_false_and_changes_nothing()
    {
        var node = new EdgeNode("a", "a");
        var (cluster, time) = Cluster(node);
        cluster.DeregisterNode("a");
        node.Status = EdgeNodeStatus.Offline;
        time.Advance(TimeSpan.FromSeconds(5));

        await Assert.That(cluster.Heartbeat("a")).IsFalse();
        await Assert.That(node.Status).IsEqualTo(EdgeNodeStatus.Offline);
        await Assert.That(node.LastHeartbeat).IsEqualTo(Start);
    }

    [Test]
    public async Task Heartbeat_of_a_draining_node_keeps_it_in_maintenance()
    {
        var node = new EdgeNode("a", "a");
        var (cluster, time) = Cluster(node);
        cluster.DrainNode("a");
        time.Advance(TimeSpan.FromSeconds(10));

        cluster.Heartbeat("a");

        await Assert.That(node.Status).IsEqualTo(EdgeNodeStatus.Maintenance);
        await Assert.That(node.LastHeartbeat).IsEqualTo(Start.AddSeconds(10));
    }

    [Test]
    public async Task Get_unknown_is_null()
    {
        var (cluster, _) = Cluster();

        await Assert.That(cluster.GetNode("x")).IsNull();
        await Assert.That(cluster.GetRuntime("x")).IsNull();
    }

    [Test]
    public async Task List_in_registration_order_with_status_filter()
    {
        var a = new EdgeNode("c-node", "a");
        var b = new EdgeNode("a-node", "b") { Status = EdgeNodeStatus.Degraded };
        var c = new EdgeNode("b-node", "c");
        var (cluster, _) = Cluster(a, b, c);
        c.Status = EdgeNodeStatus.Offline;

        await Assert.That(cluster.ListNodes().Select(n => n.Id)).IsEquivalentTo(
            new[] { "c-node", "a-node", "b-node" }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(cluster.ListNodes(EdgeNodeStatus.Online).Select(n => n.Id)).IsEquivalentTo(new[] { "c-node" });
        await Assert.That(cluster.ListNodes(EdgeNodeStatus.Degraded).Select(n => n.Id)).IsEquivalentTo(new[] { "a-node" });
        await Assert.That(cluster.ListNodes(EdgeNodeStatus.Offline).Select(n => n.Id)).IsEquivalentTo(new[] { "b-node" });
        await Assert.That(cluster.ListNodes(EdgeNodeStatus.Syncing).Count).IsEqualTo(0);
    }

    [Test]
    public async Task List_keeps_registration_order_across_deregistrations()
    {
        var (cluster, _) = Cluster(new EdgeNode("a", "a"), new EdgeNode("b", "b"), new EdgeNode("c", "c"));

        cluster.DeregisterNode("a");
        cluster.RegisterNode(new EdgeNode("d", "d"));
        cluster.RegisterNode(new EdgeNode("b", "b2"));

        await Assert.That(cluster.ListNodes().Select(n => n.Id)).IsEquivalentTo(
            new[] { "b", "c", "d" }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(cluster.GetNode("b")!.Name).IsEqualTo("b2");
    }

    [Test]
    public async Task Listed_nodes_are_a_copy()
    {
        var (cluster, _) = Cluster(new EdgeNode("a", "a"));
        var listed = cluster.ListNodes();

        cluster.RegisterNode(new EdgeNode("b", "b"));

        await Assert.That(listed.Count).IsEqualTo(1);
    }

    [Test]
    public async Task DeployToAll_skips_offline_maintenance_draining_and_incapable_nodes()
    {
        var online = new EdgeNode("online", "x") { Capabilities = ["gpu"] };
        var degraded = new EdgeNode("degraded", "x") { Capabilities = ["gpu"] };
        var syncing = new EdgeNode("syncing", "x") { Capabilities = ["GPU"] };
        var offline = new EdgeNode("offline", "x") { Capabilities = ["gpu"] };
        var maintenance = new EdgeNode("maintenance", "x") { Capabilities = ["gpu"] };
        var drained = new EdgeNode("drained", "x") { Capabilities = ["gpu"] };
        var incapable = new EdgeNode("incapable", "x") { Capabilities = ["camera"] };
        var (cluster, _) = Cluster(online, degraded, syncing, offline, maintenance, drained, incapable);
        degraded.Status = EdgeNodeStatus.Degraded;
        syncing.Status = EdgeNodeStatus.Syncing;
        offline.Status = EdgeNodeStatus.Offline;
        maintenance.Status = EdgeNodeStatus.Maintenance;
        cluster.DrainNode("drained");

        var count = cluster.DeployToAll(Fn("infer", "gpu"));

        await Assert.That(count).IsEqualTo(3);
        foreach (var id in new[] { "online", "degraded", "syncing" })
        {
            await Assert.That(cluster.GetRuntime(id)!.GetFunction("infer")).IsNotNull();
        }

        foreach (var id in new[] { "offline", "maintenance", "drained", "incapable" })
        {
            await Assert.That(cluster.GetRuntime(id)!.FunctionCount).IsEqualTo(0);
        }
    }

    [Test]
    public async Task DeployToAll_without_requirements_reaches_every_live_node()
    {
        var (cluster, _) = Cluster(new EdgeNode("a", "a"), new EdgeNode("b", "b") { Capabilities = ["x"] });

        await Assert.That(cluster.DeployToAll(Fn("f"))).IsEqualTo(2);
        await Assert.That(cluster.DeployToAll(Fn("f"))).IsEqualTo(2);
        await Assert.That(cluster.GetRuntime("a")!.FunctionCount).IsEqualTo(1);
        await Assert.That(() => cluster.DeployToAll(null!)).Throws<ArgumentNullException>();
    }

    [Test]
    public async Task DeployToAll_on_an_empty_cluster_is_zero()
    {
        await Assert.That(new EdgeCluster().DeployToAll(Fn("f"))).IsEqualTo(0);
    }

    [Test]
    public async Task DeployLeastLoaded_picks_fewest_functions_then_lowest_id()
    {
        var (cluster, _) = Cluster(new EdgeNode("b", "b"), new EdgeNode("a", "a"), new EdgeNode("c", "c"));

        await Assert.That(cluster.DeployLeastLoaded(Fn("f1"))).IsEqualTo("a");
        await Assert.That(cluster.DeployLeastLoaded(Fn("f2"))).IsEqualTo("b");
        await Assert.That(cluster.DeployLeastLoaded(Fn("f3"))).IsEqualTo("c");
        await Assert.That(cluster.DeployLeastLoaded(Fn("f4"))).IsEqualTo("a");
        await Assert.That(cluster.GetRuntime("a")!.ListFunctions().Select(f => f.Id)).IsEquivalentTo(new[] { "f1", "f4" }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
    }

    [Test]
    public async Task DeployLeastLoaded_only_considers_eligible_nodes()
    {
        var gpu = new EdgeNode("z-gpu", "g") { Capabilities = ["gpu"] };
        var busy = new EdgeNode("a-gpu", "g") { Capabilities = ["gpu"] };
        var (cluster, _) = Cluster(gpu, busy, new EdgeNode("plain", "p"), new EdgeNode("down", "d") { Capabilities = ["gpu"] });
        cluster.GetNode("down")!.Status = EdgeNodeStatus.Offline;
        cluster.GetRuntime("a-gpu")!.Deploy(Fn("x"));

        await Assert.That(cluster.DeployLeastLoaded(Fn("infer", "gpu"))).IsEqualTo("z-gpu");

        cluster.DrainNode("z-gpu");
        await Assert.That(cluster.DeployLeastLoaded(Fn("infer2", "gpu"))).IsEqualTo("a-gpu");
        await Assert.That(cluster.DeployLeastLoaded(Fn("needs-lidar", "lidar"))).IsNull();
        await Assert.That(() => cluster.DeployLeastLoaded(null!)).Throws<ArgumentNullException>();
    }

    [Test]
    public async Task UndeployFromAll_counts_removals()
    {
        var (cluster, _) = Cluster(new EdgeNode("a", "a"), new EdgeNode("b", "b"), new EdgeNode("c", "c"));
        cluster.DeployToAll(Fn("f"));
        cluster.GetRuntime("c")!.Undeploy("f");

        await Assert.That(cluster.UndeployFromAll("f")).IsEqualTo(2);
        await Assert.That(cluster.UndeployFromAll("f")).IsEqualTo(0);
        await Assert.That(cluster.Health().TotalFunctions).IsEqualTo(0);
    }

    [Test]
    public async Task UndeployFromAll_includes_offline_and_draining_nodes()
    {
        var (cluster, _) = Cluster(new EdgeNode("a", "a"), new EdgeNode("b", "b"));
        cluster.DeployToAll(Fn("f"));
        cluster.GetNode("a")!.Status = EdgeNodeStatus.Offline;
        cluster.DrainNode("b");

        await Assert.That(cluster.UndeployFromAll("f")).IsEqualTo(2);
    }

    [Test]
    public async Task Drain_and_undrain()
    {
        var node = new EdgeNode("a", "a");
        var (cluster, _) = Cluster(node);

        await Assert.That(cluster.IsDraining("a")).IsFalse();
        await Assert.That(cluster.DrainNode("a")).IsTrue();
        await Assert.That(cluster.IsDraining("a")).IsTrue();
        await Assert.That(node.Status).IsEqualTo(EdgeNodeStatus.Maintenance);
        await Assert.That(cluster.DrainNode("a")).IsTrue();
        await Assert.That(cluster.DeployToAll(Fn("f"))).IsEqualTo(0);

        await Assert.That(cluster.UndrainNode("a")).IsTrue();
        await Assert.That(cluster.IsDraining("a")).IsFalse();
        await Assert.That(node.Status).IsEqualTo(EdgeNodeStatus.Online);
        await Assert.That(cluster.UndrainNode("a")).IsFalse();
        await Assert.That(cluster.DeployToAll(Fn("f"))).IsEqualTo(1);
    }

    [Test]
    public async Task Drain_of_unknown_is_false()
    {
        var (cluster, _) = Cluster();

        await Assert.That(cluster.DrainNode("x")).IsFalse();
        await Assert.That(cluster.UndrainNode("x")).IsFalse();
        await Assert.That(cluster.IsDraining("x")).IsFalse();
    }

    [Test]
    public async Task A_drained_node_keeps_running_what_it_has()
    {
        var (cluster, _) = Cluster(new EdgeNode("a", "a"));
        cluster.DeployToAll(Fn("f"));

        cluster.DrainNode("a");

        await Assert.That(cluster.GetRuntime("a")!.Invoke<int, int>("f", 4)).IsEqualTo(8);
    }

    [Test]
    public async Task Stale_nodes_are_those_past_the_timeout_and_not_offline()
    {
        var fresh = new EdgeNode("fresh", "f");
        var stale = new EdgeNode("stale", "s");
        var gone = new EdgeNode("gone", "g");
        var (cluster, time) = Cluster(stale, gone);
        time.Advance(TimeSpan.FromSeconds(50));
        cluster.RegisterNode(fresh);
        gone.Status = EdgeNodeStatus.Offline;
        time.Advance(TimeSpan.FromSeconds(20));

        var staleIds = cluster.DetectStaleNodes(TimeSpan.FromSeconds(60));

        await Assert.That(staleIds).IsEquivalentTo(new[] { "stale" });
        await Assert.That(cluster.DetectStaleNodes(TimeSpan.FromSeconds(10)).Order(StringComparer.Ordinal)).IsEquivalentTo(
            new[] { "fresh", "stale" }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(cluster.DetectStaleNodes(TimeSpan.FromMinutes(5)).Count).IsEqualTo(0);
    }

    [Test]
    public async Task Stale_boundary_is_strictly_older_than_the_timeout()
    {
        var (cluster, time) = Cluster(new EdgeNode("a", "a"));
        time.Advance(TimeSpan.FromSeconds(30));

        await Assert.That(cluster.DetectStaleNodes(TimeSpan.FromSeconds(30)).Count).IsEqualTo(0);
        time.Advance(TimeSpan.FromTicks(1));
        await Assert.That(cluster.DetectStaleNodes(TimeSpan.FromSeconds(30)).Count).IsEqualTo(1);
    }

    [Test]
    public async Task A_heartbeat_makes_a_stale_node_fresh()
    {
        var (cluster, time) = Cluster(new EdgeNode("a", "a"));
        time.Advance(TimeSpan.FromMinutes(2));
        await Assert.That(cluster.DetectStaleNodes(TimeSpan.FromMinutes(1)).Count).IsEqualTo(1);

        cluster.Heartbeat("a");

        await Assert.That(cluster.DetectStaleNodes(TimeSpan.FromMinutes(1)).Count).IsEqualTo(0);
    }

    [Test]
    public async Task Stale_detection_compares_instants_not_local_wall_clock()
    {
        var (cluster, _) = Cluster();
        var node = new EdgeNode("tz", "t");
        cluster.RegisterNode(node);

        // The same instant expressed at +05:00 is not "in the future" or "in the past".
        node.LastHeartbeat = Start.ToOffset(TimeSpan.FromHours(5));

        await Assert.That(cluster.DetectStaleNodes(TimeSpan.FromSeconds(1)).Count).IsEqualTo(0);
    }

    [Test]
    public async Task AutoHeal_marks_stale_nodes_offline_once()
    {
        var a = new EdgeNode("a", "a");
        var b = new EdgeNode("b", "b");
        var c = new EdgeNode("c", "c");
        var (cluster, time) = Cluster(a, b, c);
        time.Advance(TimeSpan.FromSeconds(45));
        cluster.Heartbeat("c");
        time.Advance(TimeSpan.FromSeconds(30));

        var healed = cluster.AutoHeal(TimeSpan.FromSeconds(60));

        await Assert.That(healed).IsEqualTo(2);
        await Assert.That(a.Status).IsEqualTo(EdgeNodeStatus.Offline);
        await Assert.That(b.Status).IsEqualTo(EdgeNodeStatus.Offline);
        await Assert.That(c.Status).IsEqualTo(EdgeNodeStatus.Online);
        await Assert.That(cluster.AutoHeal(TimeSpan.FromSeconds(60))).IsEqualTo(0);
        await Assert.That(cluster.DeployToAll(Fn("f"))).IsEqualTo(1);

        cluster.Heartbeat("a");
        await Assert.That(a.Status).IsEqualTo(EdgeNodeStatus.Online);
        await Assert.That(cluster.DetectStaleNodes(TimeSpan.FromSeconds(60)).Count).IsEqualTo(0);
    }

    [Test]
    public async Task AutoHeal_takes_drained_and_degraded_stale_nodes_offline()
    {
        var (cluster, time) = Cluster(new EdgeNode("d", "d"), new EdgeNode("m", "m"));
        cluster.Heartbeat("d", EdgeNodeStatus.Degraded);
        cluster.DrainNode("m");
        time.Advance(TimeSpan.FromMinutes(10));

        await Assert.That(cluster.AutoHeal(TimeSpan.FromMinutes(1))).IsEqualTo(2);
        await Assert.That(cluster.ListNodes(EdgeNodeStatus.Offline).Count).IsEqualTo(2);
    }

    [Test]
    public async Task Health_counts_nodes_by_state_and_functions()
    {
        var nodes = new[]
        {
            new EdgeNode("on1", "x"), new EdgeNode("on2", "x"), new EdgeNode("off", "x"),
            new EdgeNode("deg", "x"), new EdgeNode("syn", "x"), new EdgeNode("drn", "x"),
        };
        var (cluster, _) = Cluster(nodes);
        cluster.DeployToAll(Fn("f"));
        cluster.DeployToAll(Fn("g"));
        cluster.Heartbeat("off", EdgeNodeStatus.Offline);
        cluster.Heartbeat("deg", EdgeNodeStatus.Degraded);
        cluster.Heartbeat("syn", EdgeNodeStatus.Syncing);
        cluster.DrainNode("drn");

        var health = cluster.Health();

        await Assert.That(health).IsEqualTo(new ClusterHealth(6, 2, 1, 1, 1, 1, 1, 12));
        await Assert.That(health.HealthyPercent).IsEqualTo(100.0 * 2 / 6);
    }

    [Test]
    public async Task Health_of_an_empty_cluster()
    {
        var health = new EdgeCluster().Health();

        await Assert.That(health).IsEqualTo(new ClusterHealth(0, 0, 0, 0, 0, 0, 0, 0));
        await Assert.That(health.HealthyPercent).IsEqualTo(100.0);
    }

    [Test]
    public async Task Node_runtimes_share_the_cluster_metrics_and_clock()
    {
        var (cluster, time) = Cluster(new EdgeNode("a", "a"), new EdgeNode("b", "b"));
        cluster.DeployToAll(new EdgeFunction("f", "f", (Func<int>)(() =>
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            return 1;
        })));

        cluster.GetRuntime("a")!.Invoke<int>("f");
        cluster.GetRuntime("b")!.Invoke<int>("f");
        cluster.GetRuntime("b")!.Invoke<int>("f");

        await Assert.That(cluster.Metrics.TotalInvocations("f")).IsEqualTo(3);
        await Assert.That(cluster.Metrics.TotalInvocations(nodeId: "b")).IsEqualTo(2);
        await Assert.That(cluster.GetRuntime("a")!.Metrics).IsSameReferenceAs(cluster.Metrics);
        await Assert.That(cluster.Metrics.AvgLatencyMs("f")).IsEqualTo(10.0);
    }

    [Test]
    public async Task Concurrent_heartbeats_registrations_and_deploys_stay_consistent()
    {
        var (cluster, _) = Cluster();
        for (var i = 0; i < 20; i++)
        {
            cluster.RegisterNode(new EdgeNode($"n{i:00}", "x"));
        }

        var tasks = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 1_000; i++)
            {
                cluster.Heartbeat($"n{i % 20:00}", i % 3 == 0 ? EdgeNodeStatus.Degraded : null);
                cluster.RegisterNode(new EdgeNode($"t{t}-{i % 5}", "x"));
                cluster.DeployLeastLoaded(Fn($"f{t}-{i % 7}"));
                _ = cluster.ListNodes(EdgeNodeStatus.Online);
                _ = cluster.Health();
            }
        })).ToArray();
        await Task.WhenAll(tasks);

        var health = cluster.Health();
        await Assert.That(cluster.Count).IsEqualTo(40);
        await Assert.That(health.TotalNodes).IsEqualTo(40);
        await Assert.That(health.Online + health.Degraded).IsEqualTo(40);
    }
}
