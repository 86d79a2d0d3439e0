using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Edge.Runtime;

namespace Edge.Host.Tests.Http;

public class HttpApiTests
{
    private static async Task<JsonNode> Json(HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    private static async Task<JsonObject> Problem(HttpResponseMessage response, HttpStatusCode status)
    {
        await Assert.That(response.StatusCode).IsEqualTo(status);
        await Assert.That(response.Content.Headers.ContentType?.MediaType).IsEqualTo("application/problem+json");
        var body = (await Json(response)).AsObject();
        await Assert.That(body["status"]!.GetValue<int>()).IsEqualTo((int)status);
        return body;
    }

    [Test]
    public async Task Health_and_readiness_answer_ok()
    {
        await using var host = await TestHost.StartAsync();
        var health = await host.Client.GetAsync("/healthz");
        var ready = await host.Client.GetAsync("/readyz");
        await Assert.That(health.StatusCode).IsEqualTo(HttpStatusCode.OK);
        await Assert.That(ready.StatusCode).IsEqualTo(HttpStatusCode.OK);
        await Assert.That((await Json(ready))["nodeId"]!.GetValue<string>()).IsEqualTo("test-node");

        // The one version of Directory.Build.props, as `edge-host version` prints it.
        await Assert.That((await Json(health))["version"]!.GetValue<string>()).IsEqualTo(EdgeHost.Version);
        await Assert.That(EdgeHost.Version).Matches(@"^\d+\.\d+\.\d+");
    }

    [Test]
    public async Task Functions_lists_builtins_with_their_metadata()
    {
        await using var host = await TestHost.StartAsync();
        var list = (await Json(await host.Client.GetAsync("/v1/functions"))).AsArray();
        var stats = list.Single(f => f!["id"]!.GetValue<string>() == "sensor-stats")!;
        await Assert.That(stats["memoryMb"]!.GetValue<int>()).IsEqualTo(64);
        await Assert.That(stats["timeoutSeconds"]!.GetValue<int>()).IsEqualTo(5);
        await Assert.That(stats["requiredCapabilities"]!.AsArray().Count).IsEqualTo(0);
        await Assert.That(list.Any(f => f!["id"]!.GetValue<string>() == "echo")).IsTrue();
    }

    [Test]
    public async Task Invoke_echo_returns_the_message()
    {
        await using var host = await TestHost.StartAsync();
        var response = await host.PostJson("/v1/functions/echo/invoke", """{"message":"héllo"}""");
        await Assert.That(response.StatusCode).IsEqualTo(HttpStatusCode.OK);
        await Assert.That((await Json(response)).GetValue<string>()).IsEqualTo("héllo");
    }

    [Test]
    public async Task Invoke_sensor_stats_computes_the_window()
    {
        await using var host = await TestHost.StartAsync();
        var response = await host.PostJson("/v1/functions/sensor-stats/invoke", """{"readings":[2,4,4,4,5,5,7,9]}""");
        var body = await Json(response);
        await Assert.That(body["count"]!.GetValue<int>()).IsEqualTo(8);
        await Assert.That(body["mean"]!.GetValue<double>()).IsEqualTo(5.0);
        await Assert.That(body["min"]!.GetValue<double>()).IsEqualTo(2.0);
        await Assert.That(body["max"]!.GetValue<double>()).IsEqualTo(9.0);
        await Assert.That(body["stdDev"]!.GetValue<double>()).IsEqualTo(2.0);
    }

    [Test]
    public async Task Invoke_unknown_function_is_404()
    {
        await using var host = await TestHost.StartAsync();
        var problem = await Problem(await host.PostJson("/v1/functions/nope/invoke", "{}"), HttpStatusCode.NotFound);
        await Assert.That(problem["detail"]!.GetValue<string>()).IsEqualTo("Function not found: nope");
    }

    [Test]
    [Arguments("""{"message": """)]
    [Arguments("""{"message": "a"} trailing""")]
    [Arguments("not json")]
    public async Task Invoke_with_malformed_json_is_400(string body)
    {
        await using var host = await TestHost.StartAsync();
        var problem = await Problem(await host.PostJson("/v1/functions/echo/invoke", body), HttpStatusCode.BadRequest);
        await Assert.That(problem["detail"]!.GetValue<string>()).Contains("Malformed JSON");
    }

    [Test]
    public async Task Invoke_with_wrong_typed_argument_is_400_naming_the_parameter()
    {
        await using var host = await TestHost.StartAsync();
        var problem = await Problem(await host.PostJson("/v1/functions/sensor-stats/invoke", """{"readings":"lots"}"""), HttpStatusCode.BadRequest);
        var detail = problem["detail"]!.GetValue<string>();
        await Assert.That(detail).Contains("sensor-stats");
        await Assert.That(detail).Contains("readings");
    }

    [Test]
    [Arguments("downsample", """{"readings":[1,2,3],"factor":0}""", "Function 'downsample', parameter 'factor': must be at least 1 (got 0)")]
    [Arguments("downsample", """{"readings":[1,2,3],"factor":2147483647}""", "Function 'downsample', parameter 'factor': must not exceed the number of readings (3), got 2147483647")]
    [Arguments("sensor-stats", """{"readings":[]}""", "Function 'sensor-stats', parameter 'readings': must hold at least one reading: mean, min, max and stdDev of an empty window are undefined")]
    [Arguments("sleep", """{"milliseconds":-5}""", "Function 'sleep', parameter 'milliseconds': must not be negative (got -5)")]
    public async Task A_builtin_refusing_an_argument_value_is_400_with_its_message(string id, string body, string detail)
    {
        await using var host = await TestHost.StartAsync();
        var problem = await Problem(await host.PostJson($"/v1/functions/{id}/invoke", body), HttpStatusCode.BadRequest);
        await Assert.That(problem["detail"]!.GetValue<string>()).IsEqualTo(detail);
    }

    [Test]
    public async Task Invoke_with_missing_argument_is_400()
    {
        await using var host = await TestHost.StartAsync();
        var problem = await Problem(await host.PostJson("/v1/functions/echo/invoke", "{}"), HttpStatusCode.BadRequest);
        await Assert.That(problem["detail"]!.GetValue<string>()).Contains("message");
    }

    [Test]
    public async Task Body_over_the_limit_is_413_and_nothing_runs()
    {
        await using var host = await TestHost.StartAsync(s => s.Http.MaxBodyBytes = 1024);
        var big = $$"""{"message":"{{new string('x', 4096)}}"}""";
        await Problem(await host.PostJson("/v1/functions/echo/invoke", big), HttpStatusCode.RequestEntityTooLarge);
        await Problem(await host.Send(HttpMethod.Put, "/v1/state", $$"""{"blob":"{{new string('x', 4096)}}"}"""), HttpStatusCode.RequestEntityTooLarge);
        await Assert.That(host.Node.Runtime.TotalInvocations).IsEqualTo(0);
        await Assert.That(host.Node.Synchronizer.LocalVersion).IsEqualTo(0);
    }

    [Test]
    public async Task Json_nested_beyond_the_depth_limit_is_400()
    {
        await using var host = await TestHost.StartAsync(s => s.Http.MaxJsonDepth = 16);
        var deep = new string('[', 40) + new string(']', 40);
        await Problem(await host.PostJson("/v1/functions/echo/invoke", $$"""{"message": {{deep}} }"""), HttpStatusCode.BadRequest);
        await Problem(await host.Send(HttpMethod.Put, "/v1/state", $$"""{"a": {{deep}} }"""), HttpStatusCode.BadRequest);
    }

    [Test]
    public async Task Handler_failure_is_500_with_its_message_and_no_stack_trace()
    {
        await using var host = await TestHost.StartAsync();
        var response = await host.PostJson("/v1/functions/fail/invoke", "{}");
        var problem = await Problem(response, HttpStatusCode.InternalServerError);
        var detail = problem["detail"]!.GetValue<string>();
        await Assert.That(detail).Contains("sensor bus unplugged");
        await Assert.That(detail).DoesNotContain(" at ");
    }

    [Test]
    public async Task Function_past_its_deadline_is_504()
    {
        await using var host = await TestHost.StartAsync();
        var problem = await Problem(await host.PostJson("/v1/functions/hang/invoke", "{}"), HttpStatusCode.GatewayTimeout);
        await Assert.That(problem["detail"]!.GetValue<string>()).Contains("hang");
        await Assert.That(host.Node.Runtime.Metrics.FunctionErrorCount("hang")).IsEqualTo(1);
    }

    [Test]
    public async Task Void_function_answers_204()
    {
        await using var host = await TestHost.StartAsync();
        var response = await host.PostJson("/v1/functions/noop/invoke", "");
        await Assert.That(response.StatusCode).IsEqualTo(HttpStatusCode.NoContent);
    }

    [Test]
    public async Task State_full_and_delta_updates_pending_and_confirm()
    {
        await using var host = await TestHost.StartAsync();
        var initial = await Json(await host.Client.GetAsync("/v1/state"));
        await Assert.That(initial["version"]!.GetValue<long>()).IsEqualTo(0);

        var put = await host.Send(HttpMethod.Put, "/v1/state", """{"temp": 21.5, "door": "closed"}""");
        var v1 = await Json(put);
        await Assert.That(put.StatusCode).IsEqualTo(HttpStatusCode.OK);
        await Assert.That(v1["version"]!.GetValue<long>()).IsEqualTo(1);
        await Assert.That(v1["checksum"]!.GetValue<string>()).IsEqualTo(StateChecksum.Compute(JsonNode.Parse("""{"temp": 21.5, "door": "closed"}""")));

        var v2 = await Json(await host.Send(HttpMethod.Patch, "/v1/state", """{"door": "open"}"""));
        await Assert.That(v2["version"]!.GetValue<long>()).IsEqualTo(2);
        await Assert.That(v2["data"]!["temp"]!.GetValue<double>()).IsEqualTo(21.5);
        await Assert.That(v2["data"]!["door"]!.GetValue<string>()).IsEqualTo("open");

        var pending = (await Json(await host.Client.GetAsync("/v1/state/pending"))).AsArray();
        await Assert.That(pending.Count).IsEqualTo(2);
        await Assert.That(pending[1]!["isDelta"]!.GetValue<bool>()).IsTrue();
        await Assert.That(pending[1]!["data"]!.AsObject().Count).IsEqualTo(1);

        var confirmed = await Json(await host.PostJson("/v1/state/confirm", """{"upToVersion": 1}"""));
        await Assert.That(confirmed["removed"]!.GetValue<int>()).IsEqualTo(1);
        await Assert.That(host.Node.Synchronizer.PendingCount).IsEqualTo(1);
    }

    [Test]
    public async Task State_rejects_non_object_bodies_and_bad_confirm()
    {
        await using var host = await TestHost.StartAsync();
        await Problem(await host.Send(HttpMethod.Put, "/v1/state", "[1,2]"), HttpStatusCode.BadRequest);
        await Problem(await host.Send(HttpMethod.Put, "/v1/state", "{"), HttpStatusCode.BadRequest);
        await Problem(await host.PostJson("/v1/state/confirm", """{"upToVersion": "three"}"""), HttpStatusCode.BadRequest);
        await Problem(await host.PostJson("/v1/state/confirm", "{}"), HttpStatusCode.BadRequest);
        await Assert.That(host.Node.Synchronizer.LocalVersion).IsEqualTo(0);
    }

    [Test]
    public async Task Remote_state_applies_when_newer_and_is_refused_when_stale_or_corrupt()
    {
        await using var host = await TestHost.StartAsync();
        await host.Send(HttpMethod.Put, "/v1/state", """{"a": 1}""");
        await host.PostJson("/v1/state/confirm", """{"upToVersion": 1}""");

        var newer = SyncState.FromData(new JsonObject { ["a"] = 2 }, 5);
        var applied = await Json(await host.PostJson("/v1/state/remote", Wire(newer)));
        await Assert.That(applied["applied"]!.GetValue<bool>()).IsTrue();
        await Assert.That(host.Node.Synchronizer.LocalVersion).IsEqualTo(5);

        var stale = SyncState.FromData(new JsonObject { ["a"] = 3 }, 4);
        var refused = await Json(await host.PostJson("/v1/state/remote", Wire(stale)));
        await Assert.That(refused["applied"]!.GetValue<bool>()).IsFalse();
        await Assert.That(refused["reason"]!.GetValue<string>()).Contains("not newer");

        var corrupt = SyncState.FromData(new JsonObject { ["a"] = 4 }, 9) with { Checksum = new string('0', 32) };
        var rejected = await Json(await host.PostJson("/v1/state/remote", Wire(corrupt)));
        await Assert.That(rejected["applied"]!.GetValue<bool>()).IsFalse();
        await Assert.That(rejected["reason"]!.GetValue<string>()).Contains("checksum");
        await Assert.That(host.Node.Synchronizer.GetLocalState()!.Data.GetProperty("a").GetInt32()).IsEqualTo(2);

        await Problem(await host.PostJson("/v1/state/remote", """{"version": 10}"""), HttpStatusCode.BadRequest);
    }

    private static string Wire(SyncState s) =>
        new JsonObject
        {
            ["version"] = s.Version,
            ["data"] = JsonNode.Parse(s.Canonical.Span),
            ["checksum"] = s.Checksum,
            ["updatedAt"] = s.UpdatedAt.ToString("O"),
        }.ToJsonString();

    [Test]
    public async Task Cluster_nodes_register_filter_heartbeat_and_deregister()
    {
        await using var host = await TestHost.StartAsync();
        var initial = (await Json(await host.Client.GetAsync("/v1/cluster/nodes"))).AsArray();
        await Assert.That(initial.Select(n => n!["id"]!.GetValue<string>())).Contains("test-node");

        var created = await host.PostJson("/v1/cluster/nodes", """{"id":"pi-7","name":"dock pi","capabilities":["camera"],"status":"offline"}""");
        await Assert.That(created.StatusCode).IsEqualTo(HttpStatusCode.Created);

        var offline = (await Json(await host.Client.GetAsync("/v1/cluster/nodes?status=offline"))).AsArray();
        await Assert.That(offline.Select(n => n!["id"]!.GetValue<string>()).ToArray()).IsEquivalentTo(["pi-7"]);

        var beat = await Json(await host.PostJson("/v1/cluster/nodes/pi-7/heartbeat", """{"status":"degraded"}"""));
        await Assert.That(beat["status"]!.GetValue<string>()).IsEqualTo("degraded");
        var bare = await Json(await host.PostJson("/v1/cluster/nodes/pi-7/heartbeat", ""));
        await Assert.That(bare["status"]!.GetValue<string>()).IsEqualTo("online");

        await Problem(await host.PostJson("/v1/cluster/nodes/ghost/heartbeat", ""), HttpStatusCode.NotFound);
        await Problem(await host.Client.GetAsync("/v1/cluster/nodes?status=sleepy"), HttpStatusCode.BadRequest);
        await Problem(await host.PostJson("/v1/cluster/nodes", """{"name":"no id"}"""), HttpStatusCode.BadRequest);

        var deleted = await host.Client.DeleteAsync("/v1/cluster/nodes/pi-7");
        await Assert.That(deleted.StatusCode).IsEqualTo(HttpStatusCode.NoContent);
        await Problem(await host.Client.DeleteAsync("/v1/cluster/nodes/pi-7"), HttpStatusCode.NotFound);
    }

    [Test]
    public async Task Metrics_json_and_prometheus_reflect_invocations_and_state()
    {
        await using var host = await TestHost.StartAsync();
        await host.PostJson("/v1/functions/echo/invoke", """{"message":"a"}""");
        await host.PostJson("/v1/functions/echo/invoke", """{"message":"b"}""");
        await host.PostJson("/v1/functions/fail/invoke", "{}");
        await host.Send(HttpMethod.Put, "/v1/state", """{"x": 1}""");

        var json = await Json(await host.Client.GetAsync("/v1/metrics"));
        await Assert.That(json["invocations"]!["totalInvocations"]!.GetValue<long>()).IsEqualTo(3);
        await Assert.That(json["invocations"]!["errorCount"]!.GetValue<long>()).IsEqualTo(1);
        await Assert.That(json["sync"]!["localVersion"]!.GetValue<long>()).IsEqualTo(1);

        var response = await host.Client.GetAsync("/metrics");
        await Assert.That(response.Content.Headers.ContentType!.MediaType).IsEqualTo("text/plain");
        var text = await response.Content.ReadAsStringAsync();
        await Assert.That(text).Contains("edge_invocations_total{node=\"test-node\",function=\"echo\"} 2\n");
        await Assert.That(text).Contains("edge_invocation_errors_total{node=\"test-node\",function=\"fail\"} 1\n");
        await Assert.That(text).Contains("edge_invocation_duration_seconds_bucket{node=\"test-node\",function=\"echo\",le=\"+Inf\"} 2\n");
        await Assert.That(text).Contains("edge_invocation_duration_seconds_count{node=\"test-node\",function=\"echo\"} 2\n");
        await Assert.That(text).Contains("edge_state_version{node=\"test-node\",kind=\"local\"} 1\n");
        await Assert.That(text).Contains("edge_state_pending{node=\"test-node\"} 1\n");
        await Assert.That(text).Contains("edge_node_status{node=\"test-node\",status=\"online\"} 1\n");
        await Assert.That(text).Contains("# TYPE edge_invocation_cancellations_total counter\n");
        await Assert.That(text).Contains("edge_invocation_cancellations_total{node=\"test-node\"} 0\n");
        await Assert.That(text).Contains("edge_invocation_runaways_total{node=\"test-node\"} 0\n");
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            await Assert.That(line.StartsWith('#') || System.Text.RegularExpressions.Regex.IsMatch(line, """^[a-z_]+\{[^}]*\} [-+0-9.eE]+(Infinity|NaN)?$""")).IsTrue();
        }
    }

    [Test]
    public async Task Token_guards_every_v1_route_but_not_health()
    {
        const string token = "0123456789abcdef-secret";
        await using var host = await TestHost.StartAsync(s => s.Http.Token = token);
        var anonymous = await host.Client.GetAsync("/v1/functions");
        await Problem(anonymous, HttpStatusCode.Unauthorized);
        await Assert.That(anonymous.Headers.WwwAuthenticate.ToString()).IsEqualTo("Bearer");

        var wrong = new HttpRequestMessage(HttpMethod.Get, "/v1/state");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token-at-all");
        await Problem(await host.Client.SendAsync(wrong), HttpStatusCode.Unauthorized);

        var right = new HttpRequestMessage(HttpMethod.Get, "/v1/functions");
        right.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        await Assert.That((await host.Client.SendAsync(right)).StatusCode).IsEqualTo(HttpStatusCode.OK);
        await Assert.That((await host.Client.GetAsync("/healthz")).StatusCode).IsEqualTo(HttpStatusCode.OK);
        await Problem(await host.PostJson("/v1/functions/echo/invoke", """{"message":"x"}"""), HttpStatusCode.Unauthorized);
        await Assert.That(host.Node.Runtime.TotalInvocations).IsEqualTo(0);
    }
}
