using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Edge.Host.Http;
using Edge.Runtime;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.Host.Tests.Http;

/// <summary>What a hostile or careless client sends: every answer is a 4xx problem+json and nothing is lost or committed.</summary>
public class HardeningTests
{
    private const string Token = "s3cret-token-of-16+";

    private static async Task<JsonObject> Problem(HttpResponseMessage response, HttpStatusCode status, string? detailContains = null)
    {
        await Assert.That(response.StatusCode).IsEqualTo(status);
        await Assert.That(response.Content.Headers.ContentType?.MediaType).IsEqualTo("application/problem+json");
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        await Assert.That(body["status"]!.GetValue<int>()).IsEqualTo((int)status);
        if (detailContains is not null)
        {
            await Assert.That(body["detail"]!.GetValue<string>()).Contains(detailContains);
        }

        return body;
    }

    private static async Task<JsonObject> ProblemOf(RawHttp.Response response, int status)
    {
        await Assert.That(response.Status).IsEqualTo(status);
        await Assert.That(response.Headers).Contains("application/problem+json");
        return JsonNode.Parse(response.Body)!.AsObject();
    }

    private static ByteArrayContent JsonBytes(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static byte[] Bytes(string before, byte bad, string after) => [.. Encoding.UTF8.GetBytes(before), bad, .. Encoding.UTF8.GetBytes(after)];

    private static async Task<long> StateVersion(TestHost host) =>
        JsonNode.Parse(await host.Client.GetStringAsync("/v1/state"))!["version"]!.GetValue<long>();

    // --- 1. the token guards every /v1 endpoint, whatever the spelling --------------------------------------------

    [Test]
    [Arguments("/V1/state")]
    [Arguments("/v1/STATE")]
    [Arguments("/V1/State")]
    [Arguments("/%761/state")]
    [Arguments("/%56%31/state")]
    [Arguments("/v1/%73tate")]
    [Arguments("/v1/./state")]
    [Arguments("/./v1/state")]
    [Arguments("/x/../v1/state")]
    [Arguments("/v1/x/../state")]
    [Arguments("/v1//state")]
    [Arguments("//v1/state")]
    [Arguments("/v1/state/")]
    [Arguments("/v1/state//")]
    [Arguments("/v1%2Fstate")]
    [Arguments("/v1/state?x=1")]
    public async Task No_spelling_of_a_v1_path_changes_state_without_the_token(string target)
    {
        await using var host = await TestHost.StartAsync(s => s.Http.Token = Token);
        var response = await RawHttp.SendAsync(host.Port, "PUT", target, """{"pwn":1}""", "Content-Type: application/json");
        await Assert.That(response.Status is 401 or 404).IsTrue().Because($"{target} answered {response.Status}");
        await Assert.That(host.Node.Synchronizer.LocalVersion).IsEqualTo(0L);

        var withToken = await RawHttp.SendAsync(host.Port, "PUT", target, """{"ok":1}""", $"Content-Type: application/json\r\nAuthorization: Bearer {Token}");
        await Assert.That(withToken.Status is 200 or 404).IsTrue().Because($"{target} with the token answered {withToken.Status}");
    }

    [Test]
    public async Task Every_v1_endpoint_carries_the_node_api_metadata()
    {
        await using var host = await TestHost.StartAsync(s => s.Http.Token = Token);
        var endpoints = host.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText!.StartsWith("/v1", StringComparison.OrdinalIgnoreCase))
            .ToList();
        await Assert.That(endpoints.Count).IsGreaterThanOrEqualTo(15);
        foreach (var endpoint in endpoints)
        {
            await Assert.That(endpoint.Metadata.GetMetadata<NodeApiEndpoint>()).IsNotNull().Because(endpoint.RoutePattern.RawText!);
        }
    }

    [Test]
    [Arguments("Bearer " + Token, 200)]
    [Arguments("bearer " + Token, 200)]
    [Arguments("BEARER " + Token, 200)]
    [Arguments("Bearer  " + Token + " ", 200)]
    [Arguments("Bearer " + Token + "x", 401)]
    [Arguments("Bearer " + "s3cret-token-of-16", 401)]
    [Arguments(Token, 401)]
    [Arguments("Basic " + Token, 401)]
    [Arguments("Bearer", 401)]
    [Arguments("Bearer" + Token, 401)]
    public async Task Bearer_scheme_is_case_insensitive_and_the_token_exact(string authorization, int status)
    {
        await using var host = await TestHost.StartAsync(s => s.Http.Token = Token);
        var response = await RawHttp.SendAsync(host.Port, "GET", "/v1/state", extraHeaders: $"Authorization: {authorization}");
        await Assert.That(response.Status).IsEqualTo(status);
        if (status == 401)
        {
            await Assert.That(response.Headers).Contains("WWW-Authenticate: Bearer");
        }
    }

    [Test]
    public async Task Health_readiness_and_prometheus_stay_open_with_a_token()
    {
        await using var host = await TestHost.StartAsync(s => s.Http.Token = Token);
        await Assert.That((await host.Client.GetAsync("/healthz")).StatusCode).IsEqualTo(HttpStatusCode.OK);
        await Assert.That((await host.Client.GetAsync("/readyz")).StatusCode).IsEqualTo(HttpStatusCode.OK);
        await Assert.That((await host.Client.GetAsync("/metrics")).StatusCode).IsEqualTo(HttpStatusCode.OK);
        await Problem(await host.Client.GetAsync("/v1/metrics"), HttpStatusCode.Unauthorized);
    }

    // --- 2. bad bytes are 400 naming the problem and the path, and commit nothing ----------------------------------

    public static IEnumerable<Func<(string Name, byte[] Body, string Detail)>> BadObjects()
    {
        yield return () => ("0xFF in a string", Bytes("{\"a\":{\"b\":\"x", 0xFF, "\"}}"), "$.a.b");
        yield return () => ("0xFF in a key", Bytes("{\"a\":{\"", 0xFF, "\":1}}"), "not valid UTF-8");
        yield return () => ("lone high surrogate", Encoding.UTF8.GetBytes("""{"a":["\ud800"]}"""), "$.a[0]");
        yield return () => ("lone low surrogate", Encoding.UTF8.GetBytes("""{"s":"x\udc00y"}"""), "unpaired");
        yield return () => ("duplicate top-level key", Encoding.UTF8.GetBytes("""{"a":1,"a":2}"""), "Duplicate key 'a'");
        yield return () => ("duplicate nested key", Encoding.UTF8.GetBytes("""{"a":{"b":1,"\u0062":2}}"""), "$.a.b");
    }

    [Test]
    [MethodDataSource(nameof(BadObjects))]
    public async Task Bad_bytes_in_state_updates_are_400_and_commit_nothing(string name, byte[] body, string detail)
    {
        await using var host = await TestHost.StartAsync();
        await Problem(await host.Client.PutAsync("/v1/state", JsonBytes(body)), HttpStatusCode.BadRequest, detail);
        await Problem(await host.Client.PatchAsync("/v1/state", JsonBytes(body)), HttpStatusCode.BadRequest, detail);
        await Assert.That(await StateVersion(host)).IsEqualTo(0L).Because(name);
        await Assert.That(JsonNode.Parse(await host.Client.GetStringAsync("/v1/state/pending"))!.AsArray().Count).IsEqualTo(0);
    }

    [Test]
    [MethodDataSource(nameof(BadObjects))]
    public async Task Bad_bytes_in_a_remote_state_are_400(string name, byte[] data, string detail)
    {
        await using var host = await TestHost.StartAsync();
        byte[] body = [.. """{"version":3,"checksum":"00000000000000000000000000000000","updatedAt":"2026-01-01T00:00:00Z","data":"""u8, .. data, (byte)'}'];
        await Problem(await host.Client.PostAsync("/v1/state/remote", JsonBytes(body)), HttpStatusCode.BadRequest, detail.StartsWith('$') ? "$.data" : detail);
        await Assert.That(await StateVersion(host)).IsEqualTo(0L).Because(name);
    }

    [Test]
    [MethodDataSource(nameof(BadObjects))]
    public async Task Bad_bytes_in_function_arguments_are_400_not_a_function_failure(string name, byte[] body, string detail)
    {
        await using var host = await TestHost.StartAsync();
        var problem = await Problem(await host.Client.PostAsync("/v1/functions/echo/invoke", JsonBytes(body)), HttpStatusCode.BadRequest, detail);
        await Assert.That(problem["detail"]!.GetValue<string>()).DoesNotContain("CannotTranscode").Because(name);
        await Assert.That(host.Node.Runtime.TotalInvocations).IsEqualTo(0L);
    }

    [Test]
    [MethodDataSource(nameof(BadObjects))]
    public async Task Bad_bytes_in_node_metadata_are_400_and_the_registry_stays_readable(string name, byte[] metadata, string detail)
    {
        await using var host = await TestHost.StartAsync();
        byte[] body = [.. """{"id":"n-bad","metadata":"""u8, .. metadata, (byte)'}'];
        await Problem(await host.Client.PostAsync("/v1/cluster/nodes", JsonBytes(body)), HttpStatusCode.BadRequest, detail.StartsWith('$') ? "$.metadata" : detail);
        var nodes = JsonNode.Parse(await host.Client.GetStringAsync("/v1/cluster/nodes"))!.AsArray();
        await Assert.That(nodes.Select(n => n!["id"]!.GetValue<string>())).IsEquivalentTo(["test-node"]).Because(name);
    }

    // --- 3. one depth limit: accepted is readable everywhere, refused is not committed -----------------------------

    private static string Nested(int depth)
    {
        // {"k":{"k":...{"k":1}...}}: depth objects.
        var text = new StringBuilder();
        for (var i = 0; i < depth; i++)
        {
            text.Append("{\"k\":");
        }

        text.Append('1').Append('}', depth);
        return text.ToString();
    }

    [Test]
    [Arguments(JsonLimits.DefaultDepth, JsonLimits.DefaultDepth - 1, true)]
    [Arguments(JsonLimits.DefaultDepth, JsonLimits.DefaultDepth, true)]
    [Arguments(JsonLimits.DefaultDepth, JsonLimits.DefaultDepth + 1, false)]
    [Arguments(200, 199, true)]
    [Arguments(200, 200, true)]
    [Arguments(200, 201, false)]
    [Arguments(JsonLimits.MaxDepth, JsonLimits.MaxDepth, true)]
    [Arguments(JsonLimits.MaxDepth, JsonLimits.MaxDepth + 1, false)]
    public async Task State_at_the_depth_limit_is_readable_on_every_route_and_after_restart(int limit, int depth, bool accepted)
    {
        var dataDir = Directory.CreateTempSubdirectory("edge-depth-").FullName;
        try
        {
            var body = Nested(depth);
            await using (var host = await TestHost.StartAsync(s => s.Http.MaxJsonDepth = limit, dataDir))
            {
                var put = await host.Send(HttpMethod.Put, "/v1/state", body);
                if (!accepted)
                {
                    await Problem(put, HttpStatusCode.BadRequest, $"deeper than the limit of {limit}");
                    await Problem(await host.Send(HttpMethod.Patch, "/v1/state", body), HttpStatusCode.BadRequest);
                    await Assert.That(await StateVersion(host)).IsEqualTo(0L);
                    return;
                }

                await Assert.That(put.StatusCode).IsEqualTo(HttpStatusCode.OK);
                await ReadBack(host, body);
            }

            await using (var reopened = await TestHost.StartAsync(s => s.Http.MaxJsonDepth = limit, dataDir))
            {
                await ReadBack(reopened, body);
            }
        }
        finally
        {
            Directory.Delete(dataDir, recursive: true);
        }

        static async Task ReadBack(TestHost host, string body)
        {
            var state = await host.Client.GetAsync("/v1/state");
            await Assert.That(state.StatusCode).IsEqualTo(HttpStatusCode.OK);
            var data = JsonNode.Parse(await state.Content.ReadAsStringAsync(), documentOptions: new() { MaxDepth = 1024 })!["data"]!;
            await Assert.That(data.ToJsonString()).IsEqualTo(body);
            var pending = await host.Client.GetAsync("/v1/state/pending");
            await Assert.That(pending.StatusCode).IsEqualTo(HttpStatusCode.OK);
            var changes = JsonNode.Parse(await pending.Content.ReadAsStringAsync(), documentOptions: new() { MaxDepth = 1024 })!.AsArray();
            await Assert.That(changes.Count).IsEqualTo(1);
            await Assert.That(changes[0]!["data"]!.ToJsonString()).IsEqualTo(body);
            await Assert.That((await host.Client.GetAsync("/v1/state/history")).StatusCode).IsEqualTo(HttpStatusCode.OK);
            await Assert.That((await host.Client.GetAsync("/v1/metrics")).StatusCode).IsEqualTo(HttpStatusCode.OK);
        }
    }

    // --- 4. versions are 1..2^53-1 and never wrap -------------------------------------------------------------------

    private static string Wire(long version) =>
        $$"""{"version":{{version}},"data":{"v":1},"checksum":"{{SyncState.FromData(new JsonObject { ["v"] = 1 }, 1).Checksum}}","updatedAt":"2026-01-01T00:00:00Z"}""";

    [Test]
    [Arguments(long.MaxValue)]
    [Arguments(SyncState.MaxVersion + 1)]
    [Arguments(0L)]
    [Arguments(-5L)]
    public async Task Remote_versions_outside_the_range_are_refused_with_a_reason(long version)
    {
        await using var host = await TestHost.StartAsync();
        var reply = JsonNode.Parse(await (await host.PostJson("/v1/state/remote", Wire(version))).Content.ReadAsStringAsync())!;
        await Assert.That(reply["applied"]!.GetValue<bool>()).IsFalse();
        await Assert.That(reply["reason"]!.GetValue<string>()).Contains("outside 1..9007199254740991");
        await Assert.That(await StateVersion(host)).IsEqualTo(0L);
        var put = await host.Send(HttpMethod.Put, "/v1/state", """{"a":1}""");
        await Assert.That(JsonNode.Parse(await put.Content.ReadAsStringAsync())!["version"]!.GetValue<long>()).IsEqualTo(1L);
    }

    [Test]
    public async Task A_local_update_at_the_version_ceiling_is_409_and_nothing_wraps()
    {
        await using var host = await TestHost.StartAsync();
        var reply = JsonNode.Parse(await (await host.PostJson("/v1/state/remote", Wire(SyncState.MaxVersion))).Content.ReadAsStringAsync())!;
        await Assert.That(reply["applied"]!.GetValue<bool>()).IsTrue();
        await Problem(await host.Send(HttpMethod.Put, "/v1/state", """{"a":1}"""), HttpStatusCode.Conflict, "9007199254740991");
        await Problem(await host.Send(HttpMethod.Patch, "/v1/state", """{"a":1}"""), HttpStatusCode.Conflict);
        await Assert.That(await StateVersion(host)).IsEqualTo(SyncState.MaxVersion);
        await Assert.That(host.Node.Synchronizer.PendingCount).IsEqualTo(0);
    }

    // --- 11. the reference's pending types -------------------------------------------------------------------------

    [Test]
    public async Task Pending_changes_are_typed_update_and_delta_as_the_reference_module()
    {
        await using var host = await TestHost.StartAsync();
        await host.Send(HttpMethod.Put, "/v1/state", """{"a":1}""");
        await host.Send(HttpMethod.Patch, "/v1/state", """{"b":2}""");
        var pending = JsonNode.Parse(await host.Client.GetStringAsync("/v1/state/pending"))!.AsArray();
        await Assert.That(pending.Select(p => p!["type"]!.GetValue<string>())).IsEquivalentTo(["update", "delta"], TUnit.Assertions.Enums.CollectionOrdering.Matching);
    }

    [Test]
    public async Task Heartbeat_of_an_unknown_node_is_404_and_registers_nothing()
    {
        await using var host = await TestHost.StartAsync();
        await Problem(await host.PostJson("/v1/cluster/nodes/ghost/heartbeat", "{}"), HttpStatusCode.NotFound, "ghost");
        await Assert.That(host.Node.Cluster.GetNode("ghost")).IsNull();
    }

    [Test]
    [Arguments(JsonLimits.DefaultDepth, true)]
    [Arguments(JsonLimits.DefaultDepth + 1, false)]
    public async Task Envelopes_take_data_at_the_limit_as_state_updates_do(int depth, bool accepted)
    {
        await using var host = await TestHost.StartAsync();
        var data = JsonNode.Parse(Nested(depth), documentOptions: new() { MaxDepth = 1024 })!.AsObject();
        var checksum = StateChecksum.Compute(data);
        var remote = await host.PostJson("/v1/state/remote", $$"""{"version":4,"data":{{Nested(depth)}},"checksum":"{{checksum}}","updatedAt":"2026-01-01T00:00:00Z"}""");
        var register = await host.PostJson("/v1/cluster/nodes", $$"""{"id":"deep","metadata":{{Nested(depth)}}}""");
        if (accepted)
        {
            await Assert.That(JsonNode.Parse(await remote.Content.ReadAsStringAsync())!["applied"]!.GetValue<bool>()).IsTrue();
            await Assert.That(register.StatusCode).IsEqualTo(HttpStatusCode.Created);
            await Assert.That((await host.Client.GetAsync("/v1/state")).StatusCode).IsEqualTo(HttpStatusCode.OK);
            await Assert.That((await host.Client.GetAsync("/v1/cluster/nodes")).StatusCode).IsEqualTo(HttpStatusCode.OK);
        }
        else
        {
            await Problem(remote, HttpStatusCode.BadRequest, "deeper than the limit");
            await Problem(register, HttpStatusCode.BadRequest, "deeper than the limit");
            await Assert.That(await StateVersion(host)).IsEqualTo(0L);
        }
    }

    // --- 4. the SyncState parser is strict; confirm takes a number -----------------------------------------------

    [Test]
    [Arguments("""{"version":"8","data":{},"checksum":"99914b932bd37a50b983c5e7c90ae93b","updatedAt":"2026-01-01T00:00:00Z"}""")]
    [Arguments("""{"version":8,"data":{},"checksum":"99914b932bd37a50b983c5e7c90ae93b"}""")]
    [Arguments("""{"version":8,"data":{},"updatedAt":"2026-01-01T00:00:00Z"}""")]
    [Arguments("""{"data":{},"checksum":"99914b932bd37a50b983c5e7c90ae93b","updatedAt":"2026-01-01T00:00:00Z"}""")]
    [Arguments("""{"version":8,"checksum":"99914b932bd37a50b983c5e7c90ae93b","updatedAt":"2026-01-01T00:00:00Z"}""")]
    [Arguments("""{"version":8,"data":[],"checksum":"99914b932bd37a50b983c5e7c90ae93b","updatedAt":"2026-01-01T00:00:00Z"}""")]
    [Arguments("""{"version":8,"data":null,"checksum":"99914b932bd37a50b983c5e7c90ae93b","updatedAt":"2026-01-01T00:00:00Z"}""")]
    [Arguments("""{"version":8.5,"data":{},"checksum":"99914b932bd37a50b983c5e7c90ae93b","updatedAt":"2026-01-01T00:00:00Z"}""")]
    [Arguments("""{"version":99999999999999999999,"data":{},"checksum":"99914b932bd37a50b983c5e7c90ae93b","updatedAt":"2026-01-01T00:00:00Z"}""")]
    [Arguments("""{"version":8,"data":{},"checksum":7,"updatedAt":"2026-01-01T00:00:00Z"}""")]
    [Arguments("""{"version":8,"data":{},"checksum":null,"updatedAt":"2026-01-01T00:00:00Z"}""")]
    // Names are case-sensitive on every route: "Version" is not "version", so the version is missing.
    [Arguments("""{"Version":8,"data":{},"checksum":"99914b932bd37a50b983c5e7c90ae93b","updatedAt":"2026-01-01T00:00:00Z"}""")]
    [Arguments("""{"version":8,"data":{},"checksum":"99914b932bd37a50b983c5e7c90ae93b","updatedAt":"yesterday"}""")]
    [Arguments("""[]""")]
    public async Task Remote_state_with_missing_or_mistyped_members_is_400(string body)
    {
        await using var host = await TestHost.StartAsync();
        await Problem(await host.PostJson("/v1/state/remote", body), HttpStatusCode.BadRequest);
        await Assert.That(await StateVersion(host)).IsEqualTo(0L);
    }

    [Test]
    [Arguments("""{"upToVersion":"3"}""")]
    [Arguments("""{"upToVersion":-1}""")]
    [Arguments("""{"upToVersion":1.5}""")]
    [Arguments("""{}""")]
    public async Task Confirm_takes_a_non_negative_integer(string body)
    {
        await using var host = await TestHost.StartAsync();
        await host.Send(HttpMethod.Put, "/v1/state", """{"a":1}""");
        await Problem(await host.PostJson("/v1/state/confirm", body), HttpStatusCode.BadRequest);
        await Assert.That(host.Node.Synchronizer.PendingCount).IsEqualTo(1);
    }

    // --- 5. the body limit counts body bytes, not chunk framing --------------------------------------------------

    [Test]
    [Arguments(false, 0, 200)]
    [Arguments(true, 0, 200)]
    [Arguments(false, 1, 413)]
    [Arguments(true, 1, 413)]
    public async Task Body_limit_counts_body_bytes_with_and_without_chunking(bool chunked, int over, int status)
    {
        const int limit = 64 * 1024;
        await using var host = await TestHost.StartAsync(s => s.Http.MaxBodyBytes = limit);
        var prefix = """{"message":""";
        var body = prefix + "\"" + new string('a', limit + over - prefix.Length - 3) + "\"}";
        await Assert.That(Encoding.UTF8.GetByteCount(body)).IsEqualTo(limit + over);
        var response = await RawHttp.SendAsync(host.Port, "POST", "/v1/functions/echo/invoke", body, "Content-Type: application/json", chunked, chunkSize: 1000);
        await Assert.That(response.Status).IsEqualTo(status);
        await Assert.That(host.Node.Runtime.TotalInvocations).IsEqualTo(status == 200 ? 1L : 0L);
    }

    // --- 7. a caller that goes away is a cancellation, not a runaway -------------------------------------------------

    [Test]
    public async Task Dropped_connections_to_cooperative_calls_count_as_cancellations_not_runaways()
    {
        await using var host = await TestHost.StartAsync();
        using var cancel = new CancellationTokenSource();
        var calls = Enumerable.Range(0, 20)
            .Select(_ => host.Client.PostAsync("/v1/functions/sleep/invoke", new StringContent("""{"milliseconds":25000}""", Encoding.UTF8, "application/json"), cancel.Token))
            .ToArray();
        await Mqtt.Eventually.TrueAsync(() => host.Node.Runtime.InFlight == 20, TimeSpan.FromSeconds(20), "20 sleeps running");
        await cancel.CancelAsync();
        foreach (var call in calls)
        {
            await Assert.ThrowsAsync<TaskCanceledException>(() => call);
        }

        await Mqtt.Eventually.TrueAsync(() => host.Node.Runtime.InFlight == 0, TimeSpan.FromSeconds(20), "the sleeps ended on cancellation");
        await Assert.That(host.Node.Runtime.CancelledCount).IsEqualTo(20L);
        await Assert.That(host.Node.Runtime.RunawayCount).IsEqualTo(0L);
        var metrics = await host.Client.GetStringAsync("/metrics");
        await Assert.That(metrics).Contains("edge_invocation_runaways_total{node=\"test-node\"} 0\n");
        await Assert.That(metrics).Contains("edge_invocation_cancellations_total{node=\"test-node\"} 20\n");
        var json = JsonNode.Parse(await host.Client.GetStringAsync("/v1/metrics"))!;
        await Assert.That(json["cancelledInvocations"]!.GetValue<long>()).IsEqualTo(20L);
    }

    // --- 8. unknown routes and wrong methods are problem+json -----------------------------------------------------

    [Test]
    public async Task Unknown_routes_and_wrong_methods_answer_problem_json()
    {
        await using var host = await TestHost.StartAsync();
        await Problem(await host.Client.GetAsync("/v1/nothing-here"), HttpStatusCode.NotFound, "/v1/nothing-here");
        await Problem(await host.Client.GetAsync("/"), HttpStatusCode.NotFound);
        var wrong = await Problem(await host.Client.DeleteAsync("/v1/state"), HttpStatusCode.MethodNotAllowed, "DELETE is not allowed on '/v1/state'");
        await Assert.That(wrong["detail"]!.GetValue<string>()).Contains("GET");
    }

    // --- 9. cross-site writes: JSON bodies only; loopback names only on a loopback bind ---------------------------

    [Test]
    [Arguments("text/plain")]
    [Arguments("application/x-www-form-urlencoded")]
    [Arguments("multipart/form-data; boundary=x")]
    [Arguments("application/json; charset=latin1")]
    [Arguments(null)]
    public async Task Bodies_that_are_not_json_are_415_and_change_nothing(string? contentType)
    {
        await using var host = await TestHost.StartAsync();
        await host.Send(HttpMethod.Put, "/v1/state", """{"a":1}""");
        var header = contentType is null ? null : $"Content-Type: {contentType}";
        var confirm = await RawHttp.SendAsync(host.Port, "POST", "/v1/state/confirm", """{"upToVersion":1}""", header);
        await Assert.That((await ProblemOf(confirm, 415))["detail"]!.GetValue<string>()).Contains("application/json");
        var invoke = await RawHttp.SendAsync(host.Port, "POST", "/v1/functions/echo/invoke", """{"message":"x"}""", header);
        await ProblemOf(invoke, 415);
        var put = await RawHttp.SendAsync(host.Port, "PUT", "/v1/state", """{"b":2}""", header, chunked: true);
        await ProblemOf(put, 415);
        await Assert.That(host.Node.Synchronizer.PendingCount).IsEqualTo(1);
        await Assert.That(host.Node.Synchronizer.LocalVersion).IsEqualTo(1L);
        await Assert.That(host.Node.Runtime.TotalInvocations).IsEqualTo(0L);
    }

    [Test]
    [Arguments("application/json")]
    [Arguments("application/json; charset=utf-8")]
    [Arguments("Application/JSON")]
    [Arguments("application/merge-patch+json")]
    public async Task Json_media_types_are_accepted(string contentType)
    {
        await using var host = await TestHost.StartAsync();
        var response = await RawHttp.SendAsync(host.Port, "PATCH", "/v1/state", """{"a":1}""", $"Content-Type: {contentType}");
        await Assert.That(response.Status).IsEqualTo(200);
    }

    [Test]
    public async Task Requests_without_a_body_need_no_content_type()
    {
        await using var host = await TestHost.StartAsync();
        await host.PostJson("/v1/cluster/nodes", """{"id":"n2"}""");
        await Assert.That((await RawHttp.SendAsync(host.Port, "POST", "/v1/cluster/nodes/n2/heartbeat")).Status).IsEqualTo(200);
        await Assert.That((await RawHttp.SendAsync(host.Port, "POST", "/v1/functions/noop/invoke")).Status).IsEqualTo(204);
        await Assert.That((await RawHttp.SendAsync(host.Port, "DELETE", "/v1/cluster/nodes/n2")).Status).IsEqualTo(204);
    }

    [Test]
    [Arguments("evil.example", 400)]
    [Arguments("rebind.attacker.test:8080", 400)]
    [Arguments("localhost", 200)]
    [Arguments("LOCALHOST:1234", 200)]
    [Arguments("app.localhost", 200)]
    [Arguments("127.0.0.1", 200)]
    [Arguments("[::1]:80", 200)]
    public async Task A_loopback_node_answers_only_loopback_host_names(string hostHeader, int status)
    {
        await using var host = await TestHost.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/state");
        request.Headers.Host = hostHeader;
        var response = await host.Client.SendAsync(request);
        await Assert.That((int)response.StatusCode).IsEqualTo(status);
        if (status == 400)
        {
            await Problem(response, HttpStatusCode.BadRequest, "loopback");
        }
    }

    // --- 10. the registry -----------------------------------------------------------------------------------------

    [Test]
    public async Task The_nodes_own_entry_cannot_be_replaced_or_deleted()
    {
        await using var host = await TestHost.StartAsync();
        await Problem(await host.PostJson("/v1/cluster/nodes", """{"id":"test-node","status":"offline"}"""), HttpStatusCode.Conflict, "own id");
        await Problem(await host.Client.DeleteAsync("/v1/cluster/nodes/test-node"), HttpStatusCode.Conflict, "own id");
        var self = JsonNode.Parse(await host.Client.GetStringAsync("/v1/cluster/nodes/test-node"))!;
        await Assert.That(self["status"]!.GetValue<string>()).IsEqualTo("online");
    }

    [Test]
    [Arguments("a/b")]
    [Arguments("a+b")]
    [Arguments("a#b")]
    [Arguments(" padded")]
    [Arguments("")]
    [Arguments("tab\there")]
    public async Task Registered_ids_follow_the_node_id_rule(string id)
    {
        await using var host = await TestHost.StartAsync();
        var body = new JsonObject { ["id"] = id }.ToJsonString();
        await Problem(await host.PostJson("/v1/cluster/nodes", body), HttpStatusCode.BadRequest, "'id'");
        await Assert.That(host.Node.Cluster.ListNodes().Count).IsEqualTo(1);
    }

    [Test]
    public async Task A_huge_id_is_refused_without_echoing_it_in_a_header()
    {
        await using var host = await TestHost.StartAsync();
        var body = new JsonObject { ["id"] = new string('x', 100_000) }.ToJsonString();
        var response = await host.PostJson("/v1/cluster/nodes", body);
        await Problem(response, HttpStatusCode.BadRequest, "at most 128 characters");
        await Assert.That(response.Headers.Location).IsNull();
        var ok = await host.PostJson("/v1/cluster/nodes", new JsonObject { ["id"] = new string('x', 128) }.ToJsonString());
        await Assert.That(ok.StatusCode).IsEqualTo(HttpStatusCode.Created);
    }

    [Test]
    public async Task Status_filter_takes_one_status_or_a_comma_list_and_refuses_unknown_ones()
    {
        await using var host = await TestHost.StartAsync();
        await host.PostJson("/v1/cluster/nodes", """{"id":"off-1","status":"offline"}""");
        await host.PostJson("/v1/cluster/nodes", """{"id":"deg-1","status":"degraded"}""");

        async Task<string[]> Ids(string query) =>
            JsonNode.Parse(await host.Client.GetStringAsync("/v1/cluster/nodes" + query))!.AsArray().Select(n => n!["id"]!.GetValue<string>()).ToArray();

        await Assert.That(await Ids("?status=online")).IsEquivalentTo(["test-node"], TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(await Ids("?status=Online,offline")).IsEquivalentTo(["test-node", "off-1"], TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(await Ids("?status=degraded&status=offline")).IsEquivalentTo(["off-1", "deg-1"], TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Problem(await host.Client.GetAsync("/v1/cluster/nodes?status=bogus"), HttpStatusCode.BadRequest, "'bogus'");
        await Problem(await host.Client.GetAsync("/v1/cluster/nodes?status=online,bogus"), HttpStatusCode.BadRequest, "'bogus'");
        await Problem(await host.Client.GetAsync("/v1/cluster/nodes?status=1"), HttpStatusCode.BadRequest);
        await Problem(await host.PostJson("/v1/cluster/nodes", """{"id":"x","status":"online,offline"}"""), HttpStatusCode.BadRequest);
    }
}
