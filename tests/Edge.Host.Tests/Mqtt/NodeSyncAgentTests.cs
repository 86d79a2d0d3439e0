using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Host.Mqtt;
using Edge.Runtime;

namespace Edge.Host.Tests.Mqtt;

/// <summary>The node agent against an in-memory transport: ordering, PUBACK-gated confirms, validation, intents.</summary>
public class NodeSyncAgentTests
{
    private const string Prefix = "test/v1";

    [Test]
    public async Task Changes_are_published_in_order_and_confirmed_only_after_their_PUBACK()
    {
        await using var h = new Harness();
        var gate = new TaskCompletionSource();
        var entered = new TaskCompletionSource();
        h.Transport.BeforeAck = async (topic, _) =>
        {
            if (topic.EndsWith("/changes", StringComparison.Ordinal))
            {
                entered.TrySetResult();
                await gate.Task;
            }
        };
        h.Sync.UpdateLocal(new JsonObject { ["t"] = 20.5 });
        h.Sync.UpdateLocal(new JsonObject { ["t"] = 21.0 });
        h.Sync.UpdateLocal(new JsonObject { ["door"] = "open" }, isDelta: true);

        await h.Agent.StartAsync(CancellationToken.None);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // The broker has not acknowledged anything yet: nothing may be confirmed.
        await Assert.That(h.Sync.PendingCount).IsEqualTo(3);
        await Assert.That(h.Agent.Confirmed).IsEqualTo(0);

        gate.SetResult();
        await Eventually.TrueAsync(() => h.Sync.PendingCount == 0, TimeSpan.FromSeconds(10), "pending queue to empty");

        var changes = h.Transport.PublishedOn($"{Prefix}/n1/changes").Select(Parse).ToList();
        await Assert.That(changes.Select(c => c["version"]!.GetValue<long>())).IsEquivalentTo(new long[] { 1, 2, 3 }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(changes[2]["type"]!.GetValue<string>()).IsEqualTo("delta");
        await Assert.That(changes[2]["isDelta"]!.GetValue<bool>()).IsTrue();
        await Assert.That(changes[2]["data"]!.ToJsonString()).IsEqualTo("""{"door":"open"}""");
        foreach (var change in changes)
        {
            await Assert.That(change["checksum"]!.GetValue<string>()).IsEqualTo(StateChecksum.Compute(change["data"]));
            await Assert.That(change["nodeId"]!.GetValue<string>()).IsEqualTo("n1");
        }

        await Assert.That(h.Agent.Published).IsEqualTo(3);
        await Assert.That(h.Agent.Confirmed).IsEqualTo(3);
        await Assert.That(h.Sync.RemoteVersion).IsEqualTo(3);

        await Eventually.TrueAsync(() => h.Transport.PublishedOn($"{Prefix}/n1/state").Count > 0, TimeSpan.FromSeconds(10), "retained state");
        var state = h.Transport.Published.Last(p => p.Topic == $"{Prefix}/n1/state");
        var wire = Parse(state.Payload);
        await Assert.That(state.Retain).IsTrue();
        await Assert.That(state.Delivery).IsEqualTo(MqttDelivery.AtLeastOnce);
        await Assert.That(wire["version"]!.GetValue<long>()).IsEqualTo(3);
        await Assert.That(wire["checksum"]!.GetValue<string>()).IsEqualTo(h.Sync.GetLocalState()!.Checksum);
        await Assert.That(wire["data"]!.ToJsonString()).IsEqualTo("""{"door":"open","t":21.0}""");
        await Assert.That(wire.ContainsKey("updatedAt")).IsTrue();
    }

    [Test]
    public async Task A_change_whose_PUBACK_is_lost_stays_pending_and_is_sent_again_after_reconnect()
    {
        await using var h = new Harness();
        var failed = false;
        h.Transport.BeforeAck = (topic, payload) =>
        {
            if (topic.EndsWith("/changes", StringComparison.Ordinal) && !failed && Parse(payload)["version"]!.GetValue<long>() == 2)
            {
                failed = true;
                h.Transport.FailConnects = true;
                h.Transport.Drop();
                throw new IOException("connection reset before PUBACK");
            }

            return Task.CompletedTask;
        };
        for (var i = 1; i <= 3; i++)
        {
            h.Sync.UpdateLocal(new JsonObject { ["i"] = i });
        }

        await h.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => failed && h.Agent.Confirmed == 1 && !h.Agent.IsConnected, TimeSpan.FromSeconds(10), "v1 confirmed, v2 failed");

        await Assert.That(h.Sync.GetPendingChanges().Select(c => c.Version)).IsEquivalentTo(new long[] { 2, 3 }, TUnit.Assertions.Enums.CollectionOrdering.Matching);

        h.Transport.FailConnects = false;
        await Eventually.TrueAsync(() => h.Sync.PendingCount == 0, TimeSpan.FromSeconds(10), "queue drained after reconnect");

        var versions = h.Transport.PublishedOn($"{Prefix}/n1/changes").Select(p => Parse(p)["version"]!.GetValue<long>());
        await Assert.That(versions).IsEquivalentTo(new long[] { 1, 2, 3 }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(h.Agent.Reconnects).IsGreaterThanOrEqualTo(1);
        await Assert.That(h.Transport.Connects.Count).IsGreaterThanOrEqualTo(2);
    }

    [Test]
    public async Task Updates_made_while_disconnected_queue_and_drain_in_order_on_reconnect()
    {
        await using var h = new Harness();
        h.Transport.FailConnects = true;
        await h.Agent.StartAsync(CancellationToken.None);
        for (var i = 1; i <= 50; i++)
        {
            h.Sync.UpdateLocal(new JsonObject { ["i"] = i });
        }

        await Assert.That(h.Sync.PendingCount).IsEqualTo(50);
        await Assert.That(h.Agent.IsConnected).IsFalse();

        h.Transport.FailConnects = false;
        await Eventually.TrueAsync(() => h.Sync.PendingCount == 0, TimeSpan.FromSeconds(10), "queue drained");
        var versions = h.Transport.PublishedOn($"{Prefix}/n1/changes").Select(p => Parse(p)["version"]!.GetValue<long>()).ToList();
        await Assert.That(versions).IsEquivalentTo(Enumerable.Range(1, 50).Select(i => (long)i), TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(versions.Distinct().Count()).IsEqualTo(50);
    }

    [Test]
    public async Task A_change_too_large_for_any_broker_is_skipped_and_counted_instead_of_blocking_the_queue()
    {
        await using var h = new Harness(maxMessageBytes: 4096);
        h.Sync.UpdateLocal(new JsonObject { ["i"] = 1 });
        h.Sync.UpdateLocal(new JsonObject { ["blob"] = new string('x', 5000) });
        h.Sync.UpdateLocal(new JsonObject { ["i"] = 3 });

        await h.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => h.Sync.PendingCount == 0 && h.Agent.StatesPublished == 1, TimeSpan.FromSeconds(10), "queue drained");

        var versions = h.Transport.PublishedOn($"{Prefix}/n1/changes").Select(p => Parse(p)["version"]!.GetValue<long>());
        await Assert.That(versions).IsEquivalentTo(new long[] { 1, 3 }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(h.Agent.OversizeSkipped).IsEqualTo(1);
        await Assert.That(h.Agent.Published).IsEqualTo(2);
        await Assert.That(Parse(h.Transport.PublishedOn($"{Prefix}/n1/state")[0])["version"]!.GetValue<long>()).IsEqualTo(3);
    }

    [Test]
    public async Task Connect_sets_a_retained_Offline_last_will_announces_Online_and_stop_publishes_Offline()
    {
        await using var h = new Harness();
        await h.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => h.Agent.IsConnected, TimeSpan.FromSeconds(10), "connected");

        var connect = h.Transport.Connects[0];
        await Assert.That(connect.ClientId).IsEqualTo("n1");
        await Assert.That(connect.WillTopic).IsEqualTo($"{Prefix}/n1/status");
        await Assert.That(connect.WillRetain).IsTrue();
        var will = Parse(connect.WillPayload.ToArray());
        await Assert.That(will["status"]!.GetValue<string>()).IsEqualTo("offline");
        await Assert.That(will["reason"]!.GetValue<string>()).IsEqualTo("lost");
        await Assert.That(h.Transport.Subscriptions).Contains($"{Prefix}/n1/desired");
        await Assert.That(h.Transport.Subscriptions).Contains($"{Prefix}/n1/deploy");
        var online = h.Transport.Published.First(p => p.Topic == $"{Prefix}/n1/status");
        await Assert.That(online.Retain).IsTrue();
        await Assert.That(Parse(online.Payload)["status"]!.GetValue<string>()).IsEqualTo("online");

        await h.Agent.StopAsync(CancellationToken.None);

        var last = h.Transport.Published.Last(p => p.Topic == $"{Prefix}/n1/status");
        await Assert.That(last.Retain).IsTrue();
        await Assert.That(Parse(last.Payload)["status"]!.GetValue<string>()).IsEqualTo("offline");
        await Assert.That(Parse(last.Payload)["reason"]!.GetValue<string>()).IsEqualTo("shutdown");
        await Assert.That(h.Transport.Disconnects).IsEqualTo(1);
    }

    [Test]
    public async Task Heartbeat_reports_status_capabilities_functions_load_and_versions()
    {
        await using var h = new Harness(capabilities: ["camera", "gpu"]);
        h.Runtime.Deploy(new EdgeFunction("echo", "Echo", (Func<string, string>)(s => s)));
        h.Sync.UpdateLocal(new JsonObject { ["x"] = 1 });

        await h.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => h.Transport.PublishedOn($"{Prefix}/n1/heartbeat").Count > 0, TimeSpan.FromSeconds(10), "heartbeat");

        var heartbeat = h.Transport.Published.First(p => p.Topic == $"{Prefix}/n1/heartbeat");
        var json = Parse(heartbeat.Payload);
        await Assert.That(heartbeat.Delivery).IsEqualTo(MqttDelivery.AtMostOnce);
        await Assert.That(json["nodeId"]!.GetValue<string>()).IsEqualTo("n1");
        await Assert.That(json["status"]!.GetValue<string>()).IsEqualTo("online");
        await Assert.That(json["capabilities"]!.ToJsonString()).IsEqualTo("""["camera","gpu"]""");
        await Assert.That(json["functionCount"]!.GetValue<int>()).IsEqualTo(1);
        await Assert.That(json["functions"]!.ToJsonString()).IsEqualTo("""["echo"]""");
        await Assert.That(json["inFlight"]!.GetValue<int>()).IsEqualTo(0);
        await Assert.That(json["localVersion"]!.GetValue<long>()).IsEqualTo(1);
        await Assert.That(json["pending"]!.GetValue<int>()).IsEqualTo(1);
        await Assert.That(json.ContainsKey("load")).IsTrue();
    }

    [Test]
    public async Task Desired_state_newer_is_applied_stale_is_refused_and_both_outcomes_are_reported()
    {
        await using var h = new Harness();
        h.Sync.UpdateLocal(new JsonObject { ["mode"] = "auto" });
        await h.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => h.Sync.PendingCount == 0, TimeSpan.FromSeconds(10), "initial push");

        var newer = SyncState.FromData(new JsonObject { ["mode"] = "eco", ["limit"] = 7 }, 10);
        await h.Transport.DeliverAsync($"{Prefix}/n1/desired", Wire(newer));
        await Eventually.TrueAsync(() => h.Agent.DesiredApplied == 1, TimeSpan.FromSeconds(10), "desired applied");

        await Assert.That(h.Sync.LocalVersion).IsEqualTo(10);
        await Assert.That(h.Sync.GetLocalState()!.Data.ToJsonString()).IsEqualTo("""{"limit":7,"mode":"eco"}""");
        await Assert.That(h.Sync.SyncHistory(1)[0].Action).IsEqualTo(SyncAction.RemoteApplied);

        var stale = SyncState.FromData(new JsonObject { ["mode"] = "off" }, 4);
        await h.Transport.DeliverAsync($"{Prefix}/n1/desired", Wire(stale));
        await Eventually.TrueAsync(() => h.Agent.DesiredRefused == 1, TimeSpan.FromSeconds(10), "desired refused");

        await Assert.That(h.Sync.LocalVersion).IsEqualTo(10);
        var refusal = h.Sync.SyncHistory(1)[0];
        await Assert.That(refusal.Action).IsEqualTo(SyncAction.RemoteRejected);
        await Assert.That(refusal.Version).IsEqualTo(4);
        await Assert.That(refusal.Detail).Contains("not newer");

        await Eventually.TrueAsync(() => h.Transport.PublishedOn($"{Prefix}/n1/desired/result").Count == 2, TimeSpan.FromSeconds(10), "two results");
        var results = h.Transport.PublishedOn($"{Prefix}/n1/desired/result").Select(Parse).ToList();
        await Assert.That(results[0]["applied"]!.GetValue<bool>()).IsTrue();
        await Assert.That(results[1]["applied"]!.GetValue<bool>()).IsFalse();
        await Assert.That(results[1]["detail"]!.GetValue<string>()).Contains("not newer");
        await Assert.That(results[1]["localVersion"]!.GetValue<long>()).IsEqualTo(10);

        // The applied state becomes the retained state.
        await Eventually.TrueAsync(
            () => h.Transport.PublishedOn($"{Prefix}/n1/state").Select(Parse).Any(s => s["version"]!.GetValue<long>() == 10),
            TimeSpan.FromSeconds(10),
            "retained state v10");
    }

    [Test]
    public async Task Malformed_wrong_checksum_and_oversize_messages_are_rejected_counted_and_change_nothing()
    {
        await using var h = new Harness(maxMessageBytes: 4096);
        h.Sync.UpdateLocal(new JsonObject { ["t"] = 1 });
        await h.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => h.Sync.PendingCount == 0, TimeSpan.FromSeconds(10), "initial push");
        var before = h.Sync.Snapshot();
        var summaryBefore = h.Sync.Summary();
        var historyBefore = h.Sync.SyncHistory(256).Count;
        var functionsBefore = h.Runtime.FunctionCount;

        var good = SyncState.FromData(new JsonObject { ["t"] = 99 }, 50);
        var malformed = new[]
        {
            "{not json",
            "[]",
            "null",
            "42",
            """{"version":"50","data":{"t":99},"checksum":"x","updatedAt":"2026-01-01T00:00:00Z"}""",
            """{"version":50,"data":{"t":99},"updatedAt":"2026-01-01T00:00:00Z"}""",
            """{"version":50,"data":[1,2],"checksum":"x","updatedAt":"2026-01-01T00:00:00Z"}""",
            """{"version":50,"data":null,"checksum":"x","updatedAt":"2026-01-01T00:00:00Z"}""",
            """{"version":50,"data":{"t":99},"checksum":"x","updatedAt":"yesterday"}""",
            new string('[', 200) + new string(']', 200),
        };
        foreach (var text in malformed)
        {
            await h.Transport.DeliverAsync($"{Prefix}/n1/desired", Encoding.UTF8.GetBytes(text));
        }

        await h.Transport.DeliverAsync($"{Prefix}/n1/deploy", Encoding.UTF8.GetBytes("""{"functionId":"echo","action":"explode"}"""));
        await h.Transport.DeliverAsync($"{Prefix}/n1/deploy", Encoding.UTF8.GetBytes("""{"action":"deploy"}"""));
        await h.Transport.DeliverAsync($"{Prefix}/n1/deploy", Encoding.UTF8.GetBytes("""{"functionId":"","action":"deploy"}"""));

        var wrongChecksum = good with { Checksum = "00000000000000000000000000000000" };
        await h.Transport.DeliverAsync($"{Prefix}/n1/desired", Wire(wrongChecksum));
        var tampered = Encoding.UTF8.GetString(Wire(good)).Replace("99", "98", StringComparison.Ordinal);
        await h.Transport.DeliverAsync($"{Prefix}/n1/desired", Encoding.UTF8.GetBytes(tampered));

        var big = SyncState.FromData(new JsonObject { ["blob"] = new string('x', 5000) }, 60);
        await h.Transport.DeliverAsync($"{Prefix}/n1/desired", Wire(big));
        await h.Transport.DeliverAsync($"{Prefix}/n1/deploy", new byte[5000]);

        await Eventually.TrueAsync(
            () => h.Agent.RejectedMalformed + h.Agent.RejectedChecksum + h.Agent.RejectedOversize == 17,
            TimeSpan.FromSeconds(10),
            "17 rejections");

        await Assert.That(h.Agent.RejectedMalformed).IsEqualTo(13);
        await Assert.That(h.Agent.RejectedChecksum).IsEqualTo(2);
        await Assert.That(h.Agent.RejectedOversize).IsEqualTo(2);
        await Assert.That(h.Agent.DesiredApplied + h.Agent.DesiredRefused).IsEqualTo(0);
        await Assert.That(h.Sync.GetLocalState()).IsSameReferenceAs(before.Local);
        await Assert.That(h.Sync.Summary()).IsEqualTo(summaryBefore);
        await Assert.That(h.Sync.SyncHistory(256).Count).IsEqualTo(historyBefore);
        await Assert.That(h.Runtime.FunctionCount).IsEqualTo(functionsBefore);

        // Still alive: a valid desired state is applied afterwards.
        await h.Transport.DeliverAsync($"{Prefix}/n1/desired", Wire(good));
        await Eventually.TrueAsync(() => h.Agent.DesiredApplied == 1, TimeSpan.FromSeconds(10), "valid desired applied");
        await Assert.That(h.Sync.LocalVersion).IsEqualTo(50);

        var samples = h.Meters.Samples().ToList();
        await Assert.That(samples.Single(s => s.Name == "edge_mqtt_rejected_total" && s.Labels == "reason=\"malformed\"").Value).IsEqualTo(13);
        await Assert.That(samples.Single(s => s.Name == "edge_mqtt_rejected_total" && s.Labels == "reason=\"checksum\"").Value).IsEqualTo(2);
        await Assert.That(samples.Single(s => s.Name == "edge_mqtt_rejected_total" && s.Labels == "reason=\"oversize\"").Value).IsEqualTo(2);
        await Assert.That(samples.Single(s => s.Name == "edge_mqtt_connected").Value).IsEqualTo(1);
    }

    // %XX is one raw byte; JSON escapes are literal. The version (51) stays readable, so the result names it.
    [Test]
    [Arguments("""{"version":51,"data":{"name":"%FF"},"checksum":"x","updatedAt":"2026-01-01T00:00:00Z"}""", 51, "The string at $.data.name holds bytes that are not valid UTF-8.")]
    [Arguments("""{"version":51,"data":{"name":"ok%C0%AF"},"checksum":"x","updatedAt":"2026-01-01T00:00:00Z"}""", 51, "The string at $.data.name holds bytes that are not valid UTF-8.")]
    [Arguments("""{"version":51,"data":{"list":[1,"%E2%82"]},"checksum":"x","updatedAt":"2026-01-01T00:00:00Z"}""", 51, "The string at $.data.list[1] holds bytes that are not valid UTF-8.")]
    [Arguments("""{"version":51,"data":{"k%FF":1},"checksum":"x","updatedAt":"2026-01-01T00:00:00Z"}""", 51, "A key of the object at $.data holds bytes that are not valid UTF-8.")]
    [Arguments("""{"version":51,"data":{"s":"\u0041%FF"},"checksum":"x","updatedAt":"2026-01-01T00:00:00Z"}""", 51, "The string at $.data.s holds bytes that are not valid UTF-8.")]
    [Arguments("""{"version":51,"data":{"s":"\ud800"},"checksum":"x","updatedAt":"2026-01-01T00:00:00Z"}""", 51, "The string at $.data.s holds an escape of an unpaired UTF-16 surrogate (e.g. \\ud800 without its pair).")]
    [Arguments("""{"version":51,"data":{"s":"\udc00"},"checksum":"x","updatedAt":"2026-01-01T00:00:00Z"}""", 51, "The string at $.data.s holds an escape of an unpaired UTF-16 surrogate (e.g. \\ud800 without its pair).")]
    [Arguments("""{"version":51,"data":{"\ude00\ud83d":1},"checksum":"x","updatedAt":"2026-01-01T00:00:00Z"}""", 51, "A key of the object at $.data holds an escape of an unpaired UTF-16 surrogate (e.g. \\ud800 without its pair).")]
    [Arguments("""{"version":51,"data":{"a":1,"a":2},"checksum":"x","updatedAt":"2026-01-01T00:00:00Z"}""", 51, "Duplicate key 'a' at $.data.a: each key may appear once in an object.")]
    [Arguments("""{"version":51,"data":{"x":{"a":1,"\u0061":2}},"checksum":"x","updatedAt":"2026-01-01T00:00:00Z"}""", 51, "Duplicate key 'a' at $.data.x.a: each key may appear once in an object.")]
    [Arguments("""{"version":51,"data":{},"data":{"t":1},"checksum":"x","updatedAt":"2026-01-01T00:00:00Z"}""", 51, "Duplicate key 'data' at $.data: each key may appear once in an object.")]
    [Arguments("""{"version":51,"version":52,"data":{},"checksum":"x","updatedAt":"2026-01-01T00:00:00Z"}""", 51, "Duplicate key 'version' at $.version: each key may appear once in an object.")]
    [Arguments("""{"version":51,"data":{},"checksum":"x","updatedAt":"2026-01-01T00:00:00%FFZ"}""", 51, "The string at $.updatedAt holds bytes that are not valid UTF-8.")]
    [Arguments("""{"data":{"s":"\ud800"},"checksum":"x"}""", 0, "The string at $.data.s holds an escape of an unpaired UTF-16 surrogate (e.g. \\ud800 without its pair).")]
    public async Task A_desired_state_with_bad_bytes_is_rejected_counted_and_answered_with_the_problem(string template, long version, string problem)
    {
        await using var h = new Harness();
        h.Sync.UpdateLocal(new JsonObject { ["t"] = 1 });
        await h.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => h.Sync.PendingCount == 0, TimeSpan.FromSeconds(10), "initial push");
        var before = h.Sync.GetLocalState();
        var summaryBefore = h.Sync.Summary();
        var historyBefore = h.Sync.SyncHistory(256).Count;

        await h.Transport.DeliverAsync($"{Prefix}/n1/desired", Raw(template));
        await Eventually.TrueAsync(() => h.Transport.PublishedOn($"{Prefix}/n1/desired/result").Count == 1, TimeSpan.FromSeconds(10), "result");

        var result = Parse(h.Transport.PublishedOn($"{Prefix}/n1/desired/result")[0]);
        await Assert.That(result["applied"]!.GetValue<bool>()).IsFalse();
        await Assert.That(result["detail"]!.GetValue<string>()).IsEqualTo("Malformed desired state: " + problem);
        await Assert.That(result["version"]!.GetValue<long>()).IsEqualTo(version);
        await Assert.That(result["localVersion"]!.GetValue<long>()).IsEqualTo(1);
        await Assert.That(result["nodeId"]!.GetValue<string>()).IsEqualTo("n1");
        await Assert.That(h.Agent.RejectedMalformed).IsEqualTo(1);
        await Assert.That(h.Agent.RejectedChecksum).IsEqualTo(0);
        await Assert.That(h.Agent.DesiredApplied + h.Agent.DesiredRefused).IsEqualTo(0);
        await Assert.That(h.Meters.Samples().Single(s => s.Name == "edge_mqtt_rejected_total" && s.Labels == "reason=\"malformed\"").Value).IsEqualTo(1);
        await Assert.That(h.Sync.GetLocalState()).IsSameReferenceAs(before);
        await Assert.That(h.Sync.Summary()).IsEqualTo(summaryBefore);
        await Assert.That(h.Sync.SyncHistory(256).Count).IsEqualTo(historyBefore);
    }

    [Test]
    public async Task Malformed_and_checksum_refusals_of_a_desired_state_are_answered_too()
    {
        await using var h = new Harness();
        await h.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => h.Agent.IsConnected, TimeSpan.FromSeconds(10), "connected");

        await h.Transport.DeliverAsync($"{Prefix}/n1/desired", Encoding.UTF8.GetBytes("""{"version":"7","data":{}}"""));
        var good = SyncState.FromData(new JsonObject { ["t"] = 99 }, 8);
        await h.Transport.DeliverAsync($"{Prefix}/n1/desired", Wire(good with { Checksum = "00000000000000000000000000000000" }));
        await Eventually.TrueAsync(() => h.Transport.PublishedOn($"{Prefix}/n1/desired/result").Count == 2, TimeSpan.FromSeconds(10), "two results");

        var results = h.Transport.PublishedOn($"{Prefix}/n1/desired/result").Select(Parse).ToList();
        await Assert.That(results.Select(r => r["applied"]!.GetValue<bool>())).IsEquivalentTo(new[] { false, false }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(results[0]["version"]!.GetValue<long>()).IsEqualTo(0);
        await Assert.That(results[0]["detail"]!.GetValue<string>()).StartsWith("Malformed desired state: ");
        await Assert.That(results[1]["version"]!.GetValue<long>()).IsEqualTo(8);
        await Assert.That(results[1]["detail"]!.GetValue<string>()).IsEqualTo("Checksum does not match data.");
        await Assert.That(h.Agent.RejectedMalformed).IsEqualTo(1);
        await Assert.That(h.Agent.RejectedChecksum).IsEqualTo(1);
        await Assert.That(h.Sync.LocalVersion).IsEqualTo(0);
    }

    [Test]
    [Arguments("""{"functionId":"ec%FFho","action":"deploy"}""")]
    [Arguments("""{"functionId":"echo","action":"deploy","action":"undeploy"}""")]
    [Arguments("""{"functionId":"\ud800","action":"deploy"}""")]
    public async Task A_deployment_intent_with_bad_bytes_is_rejected_and_counted(string template)
    {
        var catalog = new Dictionary<string, EdgeFunction> { ["echo"] = new("echo", "Echo", (Func<string, string>)(s => s)) };
        await using var h = new Harness(catalog: id => catalog.GetValueOrDefault(id));
        await h.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => h.Agent.IsConnected, TimeSpan.FromSeconds(10), "connected");

        await h.Transport.DeliverAsync($"{Prefix}/n1/deploy", Raw(template));
        await Eventually.TrueAsync(() => h.Agent.RejectedMalformed == 1, TimeSpan.FromSeconds(10), "rejected");

        await Assert.That(h.Runtime.FunctionCount).IsEqualTo(0);
        await Assert.That(h.Agent.DeployApplied + h.Agent.DeployRefused).IsEqualTo(0);
    }

    [Test]
    [Arguments(JsonLimits.DefaultDepth)]
    [Arguments(200)]
    [Arguments(JsonLimits.MaxDepth)]
    public async Task State_nested_to_the_node_limit_survives_changes_retained_state_and_desired_state(int depth)
    {
        await using var h = new Harness(maxJsonDepth: depth);
        var local = Deep(depth, "local");
        h.Sync.UpdateLocal(local);
        await h.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => h.Sync.PendingCount == 0 && h.Agent.StatesPublished == 1, TimeSpan.FromSeconds(10), "change and state published");

        // The change and the retained state carry the data whole: same checksum, same depth, as any reader sees them.
        var change = ParseDeep(h.Transport.PublishedOn($"{Prefix}/n1/changes").Single());
        var state = ParseDeep(h.Transport.PublishedOn($"{Prefix}/n1/state").Single());
        var localChecksum = h.Sync.GetLocalState()!.Checksum;
        foreach (var message in new[] { change, state })
        {
            await Assert.That(message["checksum"]!.GetValue<string>()).IsEqualTo(localChecksum);
            await Assert.That(StateChecksum.Compute(message["data"])).IsEqualTo(localChecksum);
            await Assert.That(Depth(message["data"]!)).IsEqualTo(depth);
        }

        await Assert.That(localChecksum).IsEqualTo(StateChecksum.Compute(local));
        await Assert.That(h.Agent.OversizeSkipped).IsEqualTo(0);

        // A desired state at the limit is applied; one level more is refused with the path of the level.
        var desired = SyncState.FromData(Deep(depth, "desired"), 10, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await h.Transport.DeliverAsync($"{Prefix}/n1/desired", DeepWire(desired));
        // Written as text: past JsonLimits.MaxDepth no SyncState can be made (the canonical writer refuses it), and the
        // node must refuse it before it looks at the checksum.
        var tooDeep = $$"""{"version":11,"data":{{DeepText(depth + 1, "deeper")}},"checksum":"{{new string('0', 32)}}","updatedAt":"2026-01-01T00:00:00Z"}""";
        await h.Transport.DeliverAsync($"{Prefix}/n1/desired", Encoding.UTF8.GetBytes(tooDeep));
        await Eventually.TrueAsync(() => h.Transport.PublishedOn($"{Prefix}/n1/desired/result").Count == 2, TimeSpan.FromSeconds(10), "two results");

        var results = h.Transport.PublishedOn($"{Prefix}/n1/desired/result").Select(Parse).ToList();
        await Assert.That(results[0]["applied"]!.GetValue<bool>()).IsTrue();
        await Assert.That(results[0]["version"]!.GetValue<long>()).IsEqualTo(10);
        await Assert.That(results[1]["applied"]!.GetValue<bool>()).IsFalse();
        await Assert.That(results[1]["version"]!.GetValue<long>()).IsEqualTo(11);
        await Assert.That(results[1]["detail"]!.GetValue<string>()).IsEqualTo(
            $"Malformed desired state: JSON nested deeper than the limit of {depth + 1} levels at $.data{string.Concat(Enumerable.Repeat(".a", depth))}.");
        await Assert.That(h.Agent.DesiredApplied).IsEqualTo(1);
        await Assert.That(h.Agent.RejectedMalformed).IsEqualTo(1);
        await Assert.That(h.Sync.LocalVersion).IsEqualTo(10);
        await Assert.That(h.Sync.GetLocalState()!.Checksum).IsEqualTo(desired.Checksum);

        // The applied state becomes the retained state, still whole.
        await Eventually.TrueAsync(() => h.Agent.StatesPublished == 2, TimeSpan.FromSeconds(10), "retained state v10");
        var retained = ParseDeep(h.Transport.PublishedOn($"{Prefix}/n1/state")[^1]);
        await Assert.That(retained["version"]!.GetValue<long>()).IsEqualTo(10);
        await Assert.That(StateChecksum.Compute(retained["data"])).IsEqualTo(desired.Checksum);
        await Assert.That(Depth(retained["data"]!)).IsEqualTo(depth);
    }

    [Test]
    public async Task Deployment_intents_go_through_the_catalog_and_the_node_capabilities()
    {
        var catalog = new Dictionary<string, EdgeFunction>
        {
            ["echo"] = new("echo", "Echo", (Func<string, string>)(s => s)),
            ["detect"] = new("detect", "Detect", (Func<int, int>)(x => x)) { RequiredCapabilities = ["gpu"] },
        };
        await using var h = new Harness(catalog: id => catalog.GetValueOrDefault(id));
        await h.Agent.StartAsync(CancellationToken.None);
        await Eventually.TrueAsync(() => h.Agent.IsConnected, TimeSpan.FromSeconds(10), "connected");

        await h.Transport.DeliverAsync($"{Prefix}/n1/deploy", Encoding.UTF8.GetBytes("""{"functionId":"echo","action":"deploy"}"""));
        await h.Transport.DeliverAsync($"{Prefix}/n1/deploy", Encoding.UTF8.GetBytes("""{"functionId":"detect","action":"deploy"}"""));
        await h.Transport.DeliverAsync($"{Prefix}/n1/deploy", Encoding.UTF8.GetBytes("""{"functionId":"nope","action":"deploy"}"""));
        await Eventually.TrueAsync(() => h.Agent.DeployApplied + h.Agent.DeployRefused == 3, TimeSpan.FromSeconds(10), "three intents");

        await Assert.That(h.Runtime.ListFunctions().Select(f => f.Id)).IsEquivalentTo(new[] { "echo" });
        await Assert.That(h.Agent.DeployApplied).IsEqualTo(1);
        await Assert.That(h.Agent.DeployRefused).IsEqualTo(2);
        await Eventually.TrueAsync(() => h.Transport.PublishedOn($"{Prefix}/n1/deploy/result").Count == 3, TimeSpan.FromSeconds(10), "three results");
        var results = h.Transport.PublishedOn($"{Prefix}/n1/deploy/result").Select(Parse).ToList();
        await Assert.That(results[1]["detail"]!.GetValue<string>()).Contains("gpu");
        await Assert.That(results[2]["detail"]!.GetValue<string>()).Contains("catalog");

        await h.Transport.DeliverAsync($"{Prefix}/n1/deploy", Encoding.UTF8.GetBytes("""{"functionId":"echo","action":"undeploy"}"""));
        await Eventually.TrueAsync(() => h.Runtime.FunctionCount == 0, TimeSpan.FromSeconds(10), "undeployed");
        await Assert.That(h.Agent.DeployApplied).IsEqualTo(2);
    }

    [Test]
    public async Task Messages_for_other_nodes_or_other_leaves_are_ignored()
    {
        await using var h = new Harness();
        await h.Agent.StartAsync(CancellationToken.None);
        var state = SyncState.FromData(new JsonObject { ["a"] = 1 }, 5);

        await h.Agent.HandleAsync(new MqttIncomingMessage($"{Prefix}/n2/desired", Wire(state), false), CancellationToken.None);
        await h.Agent.HandleAsync(new MqttIncomingMessage($"{Prefix}/n1/state", Encoding.UTF8.GetBytes("garbage"), false), CancellationToken.None);
        await h.Agent.HandleAsync(new MqttIncomingMessage($"other/n1/desired", Wire(state), false), CancellationToken.None);
        await h.Agent.HandleAsync(new MqttIncomingMessage($"{Prefix}/n1/desired", ReadOnlyMemory<byte>.Empty, true), CancellationToken.None);

        await Assert.That(h.Sync.LocalVersion).IsEqualTo(0);
        await Assert.That(h.Agent.RejectedMalformed).IsEqualTo(0);
    }

    [Test]
    public async Task A_node_id_that_cannot_be_a_topic_level_is_refused_at_construction()
    {
        var node = new EdgeNode("bad/id", "bad");
        var options = new MqttOptions { Broker = "mqtt://127.0.0.1:1" };

        await Assert.That(() => new NodeSyncAgent(node, new EdgeRuntime(node), new EdgeSynchronizer(), options, transport: new FakeTransport()))
            .Throws<ArgumentException>();
    }

    private static JsonObject Parse(byte[] payload) => JsonNode.Parse(payload)!.AsObject();

    private static readonly JsonDocumentOptions DeepOptions = new() { MaxDepth = JsonLimits.SerializerDepth };

    private static JsonObject ParseDeep(byte[] payload) => JsonNode.Parse(payload, documentOptions: DeepOptions)!.AsObject();

    /// <summary>An object nested <paramref name="levels"/> deep: <c>{"a":{"a":…{"leaf":…}}}</c>, with a float and an array element at the bottom.</summary>
    private static JsonObject Deep(int levels, string leaf) => JsonNode.Parse(DeepText(levels, leaf), documentOptions: DeepOptions)!.AsObject();

    private static string DeepText(int levels, string leaf) =>
        string.Concat(Enumerable.Repeat("{\"a\":", levels - 1)) + "{\"leaf\":\"" + leaf + "\",\"t\":21.0}" + new string('}', levels - 1);

    /// <summary>Nesting levels of <paramref name="node"/> (an object or array is one).</summary>
    private static int Depth(JsonNode node)
    {
        var levels = 0;
        for (JsonNode? current = node; current is JsonObject obj; current = obj["a"])
        {
            levels++;
        }

        return levels;
    }

    /// <summary>The wire form of a deep state, written without System.Text.Json's default writer depth of 64.</summary>
    private static byte[] DeepWire(SyncState state)
    {
        var data = new System.Buffers.ArrayBufferWriter<byte>();
        System.Buffers.BuffersExtensions.Write(data, state.Canonical.Span);
        return [.. Encoding.UTF8.GetBytes($$"""{"version":{{state.Version}},"data":"""), .. data.WrittenSpan, .. Encoding.UTF8.GetBytes($$""","checksum":"{{state.Checksum}}","updatedAt":"{{state.UpdatedAt:O}}"}""")];
    }

    /// <summary>UTF-8 of <paramref name="template"/> with every <c>%XX</c> replaced by the raw byte 0xXX.</summary>
    private static byte[] Raw(string template)
    {
        var bytes = new List<byte>();
        var text = new StringBuilder();
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] == '%' && i + 2 < template.Length)
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text.ToString()));
                text.Clear();
                bytes.Add(Convert.FromHexString(template.AsSpan(i + 1, 2))[0]);
                i += 2;
            }
            else
            {
                text.Append(template[i]);
            }
        }

        bytes.AddRange(Encoding.UTF8.GetBytes(text.ToString()));
        return [.. bytes];
    }

    private static byte[] Wire(SyncState state) =>
        Encoding.UTF8.GetBytes(new JsonObject
        {
            ["version"] = state.Version,
            ["data"] = JsonNode.Parse(state.Canonical.Span),
            ["checksum"] = state.Checksum,
            ["updatedAt"] = state.UpdatedAt.ToString("O"),
        }.ToJsonString());

    private sealed class Harness : IAsyncDisposable
    {
        public Harness(Func<string, EdgeFunction?>? catalog = null, string[]? capabilities = null, int maxMessageBytes = 256 * 1024, int maxJsonDepth = JsonLimits.DefaultDepth)
        {
            Node = new EdgeNode("n1", "Node one") { Capabilities = capabilities ?? [] };
            Runtime = new EdgeRuntime(Node);
            Sync = new EdgeSynchronizer(maxPending: 10_000);
            Transport = new FakeTransport();
            var options = new MqttOptions
            {
                Broker = "mqtt://127.0.0.1:1",
                TopicPrefix = Prefix,
                HeartbeatInterval = TimeSpan.FromHours(1),
                OfflineTimeout = TimeSpan.FromHours(2),
                ReconnectMinDelay = TimeSpan.FromMilliseconds(5),
                ReconnectMaxDelay = TimeSpan.FromMilliseconds(20),
                MaxMessageBytes = maxMessageBytes,
                MaxJsonDepth = maxJsonDepth,
            };
            Agent = new NodeSyncAgent(Node, Runtime, Sync, options, catalog: catalog, transport: Transport, meterFactory: Meters.Factory);
        }

        public TestMeters Meters { get; } = new();

        public EdgeNode Node { get; }

        public EdgeRuntime Runtime { get; }

        public EdgeSynchronizer Sync { get; }

        public FakeTransport Transport { get; }

        public NodeSyncAgent Agent { get; }

        public async ValueTask DisposeAsync()
        {
            await Agent.DisposeAsync();
            Meters.Dispose();
        }
    }
}
