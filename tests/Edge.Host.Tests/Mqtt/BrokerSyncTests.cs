using System.Text;
using System.Text.Json.Nodes;
using Edge.Host.Mqtt;
using Edge.Runtime;
using Microsoft.Extensions.Logging;

namespace Edge.Host.Tests.Mqtt;

/// <summary>The node agent against a real Mosquitto, checked by an independent MQTTnet client.</summary>
[ClassDataSource<SharedBroker>(Shared = SharedType.PerTestSession)]
public class BrokerSyncTests(SharedBroker broker)
{
    [Test]
    public async Task Agent_publishes_changes_in_order_confirms_them_and_keeps_retained_state_and_presence()
    {
        var prefix = Prefix();
        await using var cloud = await MqttProbe.ConnectAsync(broker.Uri, "cloud-" + prefix);
        await cloud.SubscribeAsync($"{prefix}/n1/changes");
        await using var node = new BrokerNode(broker.Uri, prefix, "n1");

        await node.Agent.StartAsync(CancellationToken.None);
        for (var i = 1; i <= 20; i++)
        {
            node.Sync.UpdateLocal(new JsonObject { ["reading"] = i + 0.5, ["seq"] = i }, isDelta: i % 2 == 0);
        }

        var changes = await cloud.WaitForAsync($"{prefix}/n1/changes", m => m.Count >= 20);
        await Eventually.TrueAsync(() => node.Sync.PendingCount == 0, TimeSpan.FromSeconds(20), "pending confirmed");

        await Assert.That(changes.Select(m => m.Json["version"]!.GetValue<long>())).IsEquivalentTo(Enumerable.Range(1, 20).Select(i => (long)i), TUnit.Assertions.Enums.CollectionOrdering.Matching);
        foreach (var change in changes)
        {
            // Any client can verify the reference checksum from the payload as it arrived.
            await Assert.That(StateChecksum.Compute(change.Json["data"])).IsEqualTo(change.Json["checksum"]!.GetValue<string>());
        }

        await Assert.That(node.Agent.Published).IsEqualTo(20);
        await Assert.That(node.Agent.Confirmed).IsEqualTo(20);
        await Assert.That(node.Sync.RemoteVersion).IsEqualTo(20);

        // A subscriber arriving later gets the retained latest state and presence.
        await Eventually.TrueAsync(() => node.Agent.StatesPublished > 0 && node.Sync.IsSynced, TimeSpan.FromSeconds(20), "state published");
        await using var late = await MqttProbe.ConnectAsync(broker.Uri, "late-" + prefix);
        await late.SubscribeAsync($"{prefix}/n1/state");
        await late.SubscribeAsync($"{prefix}/n1/status");
        var state = (await late.WaitForAsync($"{prefix}/n1/state", m => m.Count > 0 && m[^1].Json["version"]!.GetValue<long>() == 20))[^1];
        var status = (await late.WaitForAsync($"{prefix}/n1/status", m => m.Count > 0))[0];

        await Assert.That(state.Retain).IsTrue();
        await Assert.That(state.Json["checksum"]!.GetValue<string>()).IsEqualTo(node.Sync.GetLocalState()!.Checksum);
        await Assert.That(StateChecksum.Compute(state.Json["data"])).IsEqualTo(node.Sync.GetLocalState()!.Checksum);
        await Assert.That(status.Retain).IsTrue();
        await Assert.That(status.Json["status"]!.GetValue<string>()).IsEqualTo("online");
    }

    [Test]
    public async Task Desired_state_through_the_broker_is_applied_when_newer_and_refused_when_stale()
    {
        var prefix = Prefix();
        await using var cloud = await MqttProbe.ConnectAsync(broker.Uri, "cloud-" + prefix);
        await cloud.SubscribeAsync($"{prefix}/n1/desired/result");
        await cloud.SubscribeAsync($"{prefix}/n1/state");
        await using var node = new BrokerNode(broker.Uri, prefix, "n1");
        node.Sync.UpdateLocal(new JsonObject { ["setpoint"] = 20.0 });
        await node.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => node.Agent.IsConnected && node.Sync.IsSynced, TimeSpan.FromSeconds(20), "node synced");

        await cloud.PublishAsync($"{prefix}/n1/desired", Wire(SyncState.FromData(new JsonObject { ["setpoint"] = 22.5, ["fan"] = "auto" }, 7)));
        await cloud.PublishAsync($"{prefix}/n1/desired", Wire(SyncState.FromData(new JsonObject { ["setpoint"] = 5.0 }, 3)));
        var results = await cloud.WaitForAsync($"{prefix}/n1/desired/result", m => m.Count >= 2);

        await Assert.That(results[0].Json["version"]!.GetValue<long>()).IsEqualTo(7);
        await Assert.That(results[0].Json["applied"]!.GetValue<bool>()).IsTrue();
        await Assert.That(results[1].Json["version"]!.GetValue<long>()).IsEqualTo(3);
        await Assert.That(results[1].Json["applied"]!.GetValue<bool>()).IsFalse();
        await Assert.That(results[1].Json["detail"]!.GetValue<string>()).Contains("not newer than local version 7");
        await Assert.That(node.Sync.LocalVersion).IsEqualTo(7);
        await Assert.That(node.Sync.GetLocalState()!.Data.GetProperty("setpoint").GetDouble()).IsEqualTo(22.5);
        var history = node.Sync.SyncHistory(2);
        await Assert.That(history.Select(e => e.Action)).IsEquivalentTo(new[] { SyncAction.RemoteApplied, SyncAction.RemoteRejected }, TUnit.Assertions.Enums.CollectionOrdering.Matching);

        var state = await cloud.WaitForAsync($"{prefix}/n1/state", m => m.Any(s => s.Json["version"]!.GetValue<long>() == 7));
        await Assert.That(state.Last(s => s.Json["version"]!.GetValue<long>() == 7).Json["data"]!["fan"]!.GetValue<string>()).IsEqualTo("auto");
    }

    [Test]
    public async Task Bad_messages_through_the_broker_are_rejected_counted_and_leave_the_node_serving()
    {
        var prefix = Prefix();
        await using var cloud = await MqttProbe.ConnectAsync(broker.Uri, "cloud-" + prefix);
        await using var node = new BrokerNode(broker.Uri, prefix, "n1", maxMessageBytes: 64 * 1024);
        node.Sync.UpdateLocal(new JsonObject { ["ok"] = true });
        await node.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => node.Agent.IsConnected && node.Sync.IsSynced, TimeSpan.FromSeconds(20), "node synced");
        var before = node.Sync.Summary();
        var local = node.Sync.GetLocalState();

        await cloud.PublishAsync($"{prefix}/n1/desired", "{\"version\": 9, \"data\": ");
        await cloud.PublishAsync($"{prefix}/n1/desired", [0xff, 0xfe, 0x7b, 0x7d]);
        await cloud.PublishAsync($"{prefix}/n1/deploy", """{"functionId":"echo","action":"format-disk"}""");
        var forged = SyncState.FromData(new JsonObject { ["ok"] = false }, 9) with { Checksum = StateChecksum.Compute(new JsonObject { ["ok"] = true }) };
        await cloud.PublishAsync($"{prefix}/n1/desired", Wire(forged));
        var huge = SyncState.FromData(new JsonObject { ["blob"] = new string('z', 100 * 1024) }, 10);
        await cloud.PublishAsync($"{prefix}/n1/desired", Wire(huge));

        await Eventually.TrueAsync(
            () => node.Agent.RejectedMalformed == 3 && node.Agent.RejectedChecksum == 1 && node.Agent.RejectedOversize == 1,
            TimeSpan.FromSeconds(20),
            "five rejections");
        await Assert.That(node.Sync.Summary()).IsEqualTo(before);
        await Assert.That(node.Sync.GetLocalState()).IsSameReferenceAs(local);
        await Assert.That(node.Agent.IsConnected).IsTrue();

        // Still serving: the next local update goes out as usual.
        await cloud.SubscribeAsync($"{prefix}/n1/changes");
        node.Sync.UpdateLocal(new JsonObject { ["ok"] = "still" });
        var changes = await cloud.WaitForAsync($"{prefix}/n1/changes", m => m.Count > 0);
        await Assert.That(changes[0].Json["version"]!.GetValue<long>()).IsEqualTo(2);
    }

    [Test]
    public async Task A_desired_state_with_invalid_utf8_through_the_broker_is_rejected_and_answered_with_its_path()
    {
        var prefix = Prefix();
        await using var cloud = await MqttProbe.ConnectAsync(broker.Uri, "cloud-" + prefix);
        await cloud.SubscribeAsync($"{prefix}/n1/desired/result");
        await using var node = new BrokerNode(broker.Uri, prefix, "n1");
        node.Sync.UpdateLocal(new JsonObject { ["name"] = "café" });
        await node.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => node.Agent.IsConnected && node.Sync.IsSynced, TimeSpan.FromSeconds(20), "node synced");
        var local = node.Sync.GetLocalState();
        var historyBefore = node.Sync.SyncHistory(256).Count;

        // "caf" + a lone 0xC3 (the first byte of a two-byte é) inside data: raw bytes, exactly as a broken client sends them.
        byte[] bad = [.. Encoding.UTF8.GetBytes("""{"version":9,"data":{"name":"caf"""), 0xC3, .. Encoding.UTF8.GetBytes("""
            "},"checksum":"00000000000000000000000000000000","updatedAt":"2026-01-01T00:00:00Z"}
            """)];
        await cloud.PublishAsync($"{prefix}/n1/desired", bad);
        await cloud.PublishAsync($"{prefix}/n1/desired", Wire(SyncState.FromData(new JsonObject { ["name"] = "tea" }, 10)));
        var results = await cloud.WaitForAsync($"{prefix}/n1/desired/result", m => m.Count >= 2);

        await Assert.That(results.Select(r => r.Json["version"]!.GetValue<long>())).IsEquivalentTo(new long[] { 9, 10 }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(results[0].Json["applied"]!.GetValue<bool>()).IsFalse();
        await Assert.That(results[0].Json["detail"]!.GetValue<string>()).IsEqualTo("Malformed desired state: The string at $.data.name holds bytes that are not valid UTF-8.");
        await Assert.That(results[0].Json["localVersion"]!.GetValue<long>()).IsEqualTo(local!.Version);
        await Assert.That(results[1].Json["applied"]!.GetValue<bool>()).IsTrue();
        await Assert.That(node.Agent.RejectedMalformed).IsEqualTo(1);
        await Assert.That(node.Agent.DesiredApplied).IsEqualTo(1);
        await Assert.That(node.Sync.LocalVersion).IsEqualTo(10);

        // The rejected message left no trace in the history: only the applied one was added.
        var history = node.Sync.SyncHistory(256);
        await Assert.That(history.Count).IsEqualTo(historyBefore + 1);
        await Assert.That(history[^1].Version).IsEqualTo(10);
    }

    [Test]
    public async Task Clean_shutdown_replaces_the_retained_status_with_Offline_shutdown()
    {
        var prefix = Prefix();
        await using var node = new BrokerNode(broker.Uri, prefix, "n1");
        await node.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => node.Agent.IsConnected, TimeSpan.FromSeconds(20), "connected");

        await node.Agent.StopAsync(CancellationToken.None);

        await using var late = await MqttProbe.ConnectAsync(broker.Uri, "late-" + prefix);
        await late.SubscribeAsync($"{prefix}/n1/status");
        var status = (await late.WaitForAsync($"{prefix}/n1/status", m => m.Count > 0))[0];
        await Assert.That(status.Retain).IsTrue();
        await Assert.That(status.Json["status"]!.GetValue<string>()).IsEqualTo("offline");
        await Assert.That(status.Json["reason"]!.GetValue<string>()).IsEqualTo("shutdown");
    }

    [Test]
    public async Task Desired_state_sent_while_the_node_is_away_is_delivered_when_it_returns()
    {
        var prefix = Prefix();
        await using (var first = new BrokerNode(broker.Uri, prefix, "n1"))
        {
            await first.Agent.StartAsync(CancellationToken.None);
            await Eventually.TrueAsync(() => first.Agent.IsConnected, TimeSpan.FromSeconds(20), "connected");
        }

        await using var cloud = await MqttProbe.ConnectAsync(broker.Uri, "cloud-" + prefix);
        await cloud.PublishAsync($"{prefix}/n1/desired", Wire(SyncState.FromData(new JsonObject { ["mode"] = "night", ["lux"] = 3.0 }, 5)));

        // Same client id: the broker kept the session and queued the message for it.
        await using var again = new BrokerNode(broker.Uri, prefix, "n1");
        await again.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => again.Agent.DesiredApplied == 1, TimeSpan.FromSeconds(20), "queued desired applied");

        await Assert.That(again.Sync.LocalVersion).IsEqualTo(5);
        await Assert.That(again.Sync.GetLocalState()!.Checksum).IsEqualTo(StateChecksum.Compute(new JsonObject { ["lux"] = 3.0, ["mode"] = "night" }));
    }

    internal static string Prefix() => "t" + Guid.NewGuid().ToString("N")[..10] + "/v1";

    internal static byte[] Wire(SyncState state) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["version"] = state.Version,
            ["data"] = JsonNode.Parse(state.Canonical.Span),
            ["checksum"] = state.Checksum,
            ["updatedAt"] = state.UpdatedAt.ToString("O"),
        }.ToJsonString());
}

/// <summary>Agent/coordinator logs on the console when EDGE_TEST_LOG=1 (diagnosis only).</summary>
internal static class TestLogging
{
    public static readonly ILoggerFactory Factory = Environment.GetEnvironmentVariable("EDGE_TEST_LOG") == "1"
        ? LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Debug))
        : Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;
}

/// <summary>One in-process node (runtime, synchronizer, agent) wired to a broker.</summary>
internal sealed class BrokerNode : IAsyncDisposable
{
    public BrokerNode(
        string brokerUri,
        string prefix,
        string nodeId,
        int maxMessageBytes = 256 * 1024,
        string[]? capabilities = null,
        Func<string, EdgeFunction?>? catalog = null,
        EdgeSynchronizer? sync = null,
        Action<MqttOptions>? configure = null)
    {
        Node = new EdgeNode(nodeId, nodeId.ToUpperInvariant()) { Capabilities = capabilities ?? [] };
        Runtime = new EdgeRuntime(Node);
        Sync = sync ?? new EdgeSynchronizer(maxPending: 100_000);
        Options = new MqttOptions
        {
            Broker = brokerUri,
            TopicPrefix = prefix,
            ClientId = nodeId + "-" + prefix.Replace('/', '-'), // tests share one broker: client ids must be unique on it
            HeartbeatInterval = TimeSpan.FromMilliseconds(200),
            OfflineTimeout = TimeSpan.FromSeconds(2),
            KeepAlive = TimeSpan.FromSeconds(5),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(400),
            ConnectTimeout = TimeSpan.FromSeconds(2),
            MaxMessageBytes = maxMessageBytes,
        };
        configure?.Invoke(Options);
        Agent = new NodeSyncAgent(Node, Runtime, Sync, Options, catalog: catalog, logger: TestLogging.Factory.CreateLogger<NodeSyncAgent>(), meterFactory: Meters.Factory);
    }

    public TestMeters Meters { get; } = new();

    public EdgeNode Node { get; }

    public EdgeRuntime Runtime { get; }

    public EdgeSynchronizer Sync { get; }

    public MqttOptions Options { get; }

    public NodeSyncAgent Agent { get; }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await Agent.StopAsync(timeout.Token);
        await Agent.DisposeAsync();
        Meters.Dispose();
    }
}
