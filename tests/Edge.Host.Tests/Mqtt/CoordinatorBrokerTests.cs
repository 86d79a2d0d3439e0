using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Edge.Host.Fleet;
using Edge.Host.Http;
using Edge.Host.Mqtt;
using Edge.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Host.Tests.Mqtt;

/// <summary>The coordinator and nodes in one process, through a real Mosquitto.</summary>
[ClassDataSource<SharedBroker>(Shared = SharedType.PerTestSession)]
public class CoordinatorBrokerTests(SharedBroker broker)
{
    [Test]
    public async Task Nodes_appear_from_heartbeats_and_a_vanished_node_turns_Offline_through_its_last_will()
    {
        var prefix = BrokerSyncTests.Prefix();
        await using var coordinator = new BrokerCoordinator(broker.Uri, prefix);
        var transitions = new ConcurrentQueue<(string Id, EdgeNodeStatus Status)>();
        coordinator.Coordinator.NodeStatusChanged += (id, s) => transitions.Enqueue((id, s));
        await coordinator.Coordinator.StartAsync(CancellationToken.None);

        // n1 reaches the broker through a relay that can cut its TCP connection like a power cut would.
        await using var relay = new TcpChaosProxy(broker.Port);
        await using var n1 = new BrokerNode(relay.Uri, prefix, "n1", capabilities: ["camera"]);
        await using var n2 = new BrokerNode(broker.Uri, prefix, "n2", capabilities: ["gpu"]);
        await n1.Agent.StartAsync(CancellationToken.None);
        await n2.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(
            () => coordinator.Registry.ListNodes(EdgeNodeStatus.Online).Count == 2 && coordinator.Coordinator.LastHeartbeat("n1") is not null,
            TimeSpan.FromSeconds(20),
            "two nodes Online, n1 heartbeating");
        await Assert.That(coordinator.Registry.GetNode("n1")!.Capabilities).IsEquivalentTo(new[] { "camera" });

        relay.Refuse = true;
        relay.SeverAll();

        await Eventually.TrueAsync(() => transitions.Contains(("n1", EdgeNodeStatus.Offline)), TimeSpan.FromSeconds(10), "n1 Offline");
        await Assert.That(coordinator.Coordinator.LastWills).IsEqualTo(1);
        await Assert.That(coordinator.Coordinator.TimedOut).IsEqualTo(0);
        await Assert.That(coordinator.Registry.GetNode("n1")!.Status).IsEqualTo(EdgeNodeStatus.Offline);
        await Assert.That(coordinator.Registry.GetNode("n2")!.Status).IsEqualTo(EdgeNodeStatus.Online);

        // The node kept its state while away and comes back Online by itself.
        n1.Sync.UpdateLocal(new JsonObject { ["while"] = "away" });
        relay.Refuse = false;
        await Eventually.TrueAsync(() => coordinator.Registry.GetNode("n1")!.Status == EdgeNodeStatus.Online, TimeSpan.FromSeconds(20), "n1 Online again");
        await Eventually.TrueAsync(() => n1.Sync.IsSynced, TimeSpan.FromSeconds(20), "n1 synced after reconnect");
        await Assert.That(n1.Agent.Reconnects).IsGreaterThanOrEqualTo(1);
    }

    [Test]
    public async Task A_node_that_stops_heartbeating_is_marked_Offline_after_the_timeout()
    {
        var prefix = BrokerSyncTests.Prefix();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var coordinator = new BrokerCoordinator(broker.Uri, prefix, time);
        await coordinator.Coordinator.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => coordinator.Coordinator.IsConnected, TimeSpan.FromSeconds(20), "coordinator connected");

        // A device in another language: one heartbeat, then silence (its TCP connection stays up, so no last will).
        await using var device = await MqttProbe.ConnectAsync(broker.Uri, "device-" + prefix);
        await device.PublishAsync($"{prefix}/sensor-9/heartbeat", """{"nodeId":"sensor-9","name":"Sensor 9","status":"Online","capabilities":["temp"],"functionCount":0}""");
        await Eventually.TrueAsync(() => coordinator.Registry.GetNode("sensor-9") is not null, TimeSpan.FromSeconds(20), "sensor-9 registered");

        time.Advance(TimeSpan.FromSeconds(1));
        await Assert.That(coordinator.Registry.GetNode("sensor-9")!.Status).IsEqualTo(EdgeNodeStatus.Online);

        time.Advance(coordinator.Options.OfflineTimeout + TimeSpan.FromSeconds(1));

        await Assert.That(coordinator.Registry.GetNode("sensor-9")!.Status).IsEqualTo(EdgeNodeStatus.Offline);
        await Assert.That(coordinator.Coordinator.TimedOut).IsEqualTo(1);
        await Assert.That(coordinator.Coordinator.LastWills).IsEqualTo(0);

        // Heartbeating again brings it back.
        await device.PublishAsync($"{prefix}/sensor-9/heartbeat", """{"nodeId":"sensor-9","name":"Sensor 9","status":"online","capabilities":["temp"]}""");
        await Eventually.TrueAsync(() => coordinator.Registry.GetNode("sensor-9")!.Status == EdgeNodeStatus.Online, TimeSpan.FromSeconds(20), "sensor-9 Online");
    }

    [Test]
    public async Task Deployment_intents_from_the_coordinator_reach_the_nodes_with_the_capability()
    {
        var prefix = BrokerSyncTests.Prefix();
        var catalog = new Dictionary<string, EdgeFunction>
        {
            ["detect"] = new("detect", "Detect", (Func<int, int>)(x => x * 2)) { RequiredCapabilities = ["gpu"] },
        };
        await using var coordinator = new BrokerCoordinator(broker.Uri, prefix);
        await coordinator.Coordinator.StartAsync(CancellationToken.None);
        await using var gpu1 = new BrokerNode(broker.Uri, prefix, "gpu1", capabilities: ["gpu"], catalog: id => catalog.GetValueOrDefault(id));
        await using var gpu2 = new BrokerNode(broker.Uri, prefix, "gpu2", capabilities: ["gpu"], catalog: id => catalog.GetValueOrDefault(id));
        await using var cam = new BrokerNode(broker.Uri, prefix, "cam", capabilities: ["camera"], catalog: id => catalog.GetValueOrDefault(id));
        await gpu1.Agent.StartAsync(CancellationToken.None);
        await gpu2.Agent.StartAsync(CancellationToken.None);
        await cam.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(
            () => new[] { "gpu1", "gpu2", "cam" }.All(id => coordinator.Coordinator.LastHeartbeat(id) is not null && coordinator.Registry.GetNode(id)?.Status == EdgeNodeStatus.Online),
            TimeSpan.FromSeconds(20),
            "three nodes heartbeating");

        var sent = await coordinator.Coordinator.SendDeployAsync("detect", "deploy", capability: "gpu");

        await Assert.That(sent.Sent).IsEqualTo(2);
        await Eventually.TrueAsync(() => gpu1.Runtime.GetFunction("detect") is not null && gpu2.Runtime.GetFunction("detect") is not null, TimeSpan.FromSeconds(20), "deployed on both gpu nodes");
        await Assert.That(gpu1.Runtime.Invoke<int, int>("detect", 21)).IsEqualTo(42);
        await Assert.That(cam.Runtime.FunctionCount).IsEqualTo(0);
        await Eventually.TrueAsync(() => coordinator.Coordinator.LastDeployResult("gpu2")?.Applied == true, TimeSpan.FromSeconds(20), "result reported");
        await Eventually.TrueAsync(() => coordinator.Coordinator.LastHeartbeat("gpu1")?.FunctionCount == 1, TimeSpan.FromSeconds(20), "heartbeat shows the function");

        // Sent to a node without the capability: the node refuses and says why.
        await coordinator.Coordinator.SendDeployAsync("detect", "deploy", nodeId: "cam");
        await Eventually.TrueAsync(() => coordinator.Coordinator.LastDeployResult("cam") is not null, TimeSpan.FromSeconds(20), "cam result");
        await Assert.That(coordinator.Coordinator.LastDeployResult("cam")!.Applied).IsFalse();
        await Assert.That(cam.Runtime.FunctionCount).IsEqualTo(0);
    }

    [Test]
    public async Task Fleet_endpoints_push_desired_state_and_deployments_and_answer_problems()
    {
        var prefix = BrokerSyncTests.Prefix();
        var catalog = new Dictionary<string, EdgeFunction> { ["echo"] = new("echo", "Echo", (Func<string, string>)(s => s)) };
        await using var coordinator = new BrokerCoordinator(broker.Uri, prefix);
        await coordinator.Coordinator.StartAsync(CancellationToken.None);
        await using var n1 = new BrokerNode(broker.Uri, prefix, "n1", capabilities: ["edge"], catalog: id => catalog.GetValueOrDefault(id));
        await n1.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(
            () => coordinator.Registry.GetNode("n1")?.Status == EdgeNodeStatus.Online && coordinator.Coordinator.LastHeartbeat("n1") is not null,
            TimeSpan.FromSeconds(20),
            "n1 Online and heartbeating");

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddNodeProblemDetails();
        await using var app = builder.Build();
        var reader = new RequestBody(8192, JsonLimits.DefaultDepth);
        app.MapGroup("/v1").WithMetadata(reader).MapFleetEndpoints(coordinator.Coordinator, reader);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        var desired = SyncState.FromData(new JsonObject { ["gain"] = 1.5 }, 12);
        using var ok = await http.PostAsync("/v1/cluster/nodes/n1/desired", Json(Encoding.UTF8.GetString(BrokerSyncTests.Wire(desired))));
        await Assert.That(ok.StatusCode).IsEqualTo(HttpStatusCode.OK);
        await Assert.That((await ok.Content.ReadFromJsonAsync<JsonObject>())!["sent"]!.GetValue<int>()).IsEqualTo(1);
        await Eventually.TrueAsync(() => n1.Sync.LocalVersion == 12, TimeSpan.FromSeconds(20), "desired applied on n1");
        await Assert.That(n1.Sync.GetLocalState()!.Checksum).IsEqualTo(desired.Checksum);

        using var deploy = await http.PostAsync("/v1/cluster/deploy", Json("""{"functionId":"echo","action":"deploy","capability":"edge"}"""));
        await Assert.That(deploy.StatusCode).IsEqualTo(HttpStatusCode.OK);
        var reply = (await deploy.Content.ReadFromJsonAsync<JsonObject>())!;
        await Assert.That(reply["sent"]!.GetValue<int>()).IsEqualTo(1);
        await Assert.That(reply["nodes"]!.ToJsonString()).IsEqualTo("""["n1"]""");
        await Eventually.TrueAsync(() => n1.Runtime.FunctionCount == 1, TimeSpan.FromSeconds(20), "echo deployed on n1");

        async Task Problem(HttpResponseMessage response, HttpStatusCode code, string detail)
        {
            await Assert.That(response.StatusCode).IsEqualTo(code);
            await Assert.That(response.Content.Headers.ContentType!.MediaType).IsEqualTo("application/problem+json");
            var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            await Assert.That(body["status"]!.GetValue<int>()).IsEqualTo((int)code);
            await Assert.That(body["detail"]!.GetValue<string>()).Contains(detail);
        }

        using (var r = await http.PostAsync("/v1/cluster/nodes/nobody/desired", Json(Encoding.UTF8.GetString(BrokerSyncTests.Wire(desired)))))
        {
            await Problem(r, HttpStatusCode.NotFound, "nobody");
        }

        using (var r = await http.PostAsync("/v1/cluster/nodes/n1/desired", Json("""{"version":13,"data":{"gain":2},"checksum":"abc","updatedAt":"2026-01-01T00:00:00Z"}""")))
        {
            await Problem(r, HttpStatusCode.BadRequest, "checksum");
        }

        using (var r = await http.PostAsync("/v1/cluster/nodes/n1/desired", Json("""{"version":13,"data":""")))
        {
            await Problem(r, HttpStatusCode.BadRequest, "Malformed JSON");
        }

        using (var r = await http.PostAsync("/v1/cluster/deploy", Json("""{"functionId":"echo","action":"explode"}""")))
        {
            await Problem(r, HttpStatusCode.BadRequest, "action");
        }

        using (var r = await http.PostAsync("/v1/cluster/deploy", Json("""{"functionId":"echo","action":"deploy","nodeId":"ghost"}""")))
        {
            await Problem(r, HttpStatusCode.NotFound, "ghost");
        }

        using (var r = await http.PostAsync("/v1/cluster/nodes/n1/desired", Json(new string(' ', 9000) + "{}")))
        {
            await Problem(r, HttpStatusCode.RequestEntityTooLarge, "8192");
        }

        using (var r = await http.GetAsync("/v1/cluster/nodes/ghost/heartbeat"))
        {
            await Problem(r, HttpStatusCode.NotFound, "ghost");
        }

        await Eventually.TrueAsync(() => coordinator.Coordinator.LastHeartbeat("n1")?.FunctionCount == 1, TimeSpan.FromSeconds(20), "heartbeat with echo");
        var heartbeat = (await http.GetFromJsonAsync<JsonObject>("/v1/cluster/nodes/n1/heartbeat"))!;
        await Assert.That(heartbeat["nodeId"]!.GetValue<string>()).IsEqualTo("n1");
        await Assert.That(heartbeat["functions"]!.ToJsonString()).IsEqualTo("""["echo"]""");
        await Assert.That(heartbeat["localVersion"]!.GetValue<long>()).IsEqualTo(12);
        // The HTTP API's one JSON form names statuses in lowercase, as the MQTT heartbeat does.
        await Assert.That(heartbeat["status"]!.GetValue<string>()).IsEqualTo("online");

        await Assert.That(n1.Sync.LocalVersion).IsEqualTo(12);
        await app.StopAsync();
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");
}

/// <summary>A coordinator over its own cluster, wired to a broker.</summary>
internal sealed class BrokerCoordinator : IAsyncDisposable
{
    public BrokerCoordinator(string brokerUri, string prefix, TimeProvider? time = null)
    {
        Registry = new FleetRegistry(time);
        Options = new MqttOptions
        {
            Broker = brokerUri,
            TopicPrefix = prefix,
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            OfflineTimeout = TimeSpan.FromSeconds(2),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(400),
        };
        Coordinator = new ClusterCoordinator(Registry, Options, "coord-" + prefix.Replace('/', '-'), time, logger: TestLogging.Factory.CreateLogger<ClusterCoordinator>());
    }

    public FleetRegistry Registry { get; }

    public MqttOptions Options { get; }

    public ClusterCoordinator Coordinator { get; }

    public ValueTask DisposeAsync() => Coordinator.DisposeAsync();
}
