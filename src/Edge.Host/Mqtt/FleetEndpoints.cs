using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Edge.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Edge.Host.Mqtt;

/// <summary>HTTP endpoints of the coordinator role: push desired state and deployment intents to the fleet.</summary>
public static class FleetEndpoints
{
    /// <summary>
    /// Maps <c>POST /v1/cluster/nodes/{id}/desired</c> (body: a SyncState) and <c>POST /v1/cluster/deploy</c>
    /// (body: <c>{"functionId","action","nodeId"?,"capability"?}</c>), both replying <c>{"sent":n,"nodes":[…]}</c>, and
    /// <c>GET /v1/cluster/nodes/{id}/heartbeat</c> (the node's last heartbeat: functions, load, versions, pending). Errors are
    /// <c>application/problem+json</c>: 400 bad body, 404 unknown node, 413 body over the MQTT message limit, 503 broker unreachable.
    /// Plain <see cref="RequestDelegate"/>s with source-generated JSON: nothing here needs reflection.
    /// </summary>
    /// <remarks>
    /// The routes are relative: map them on the node's <c>/v1</c> group (what <c>MapEdgeApi</c> returns) so the group's
    /// rules (token, JSON bodies) guard them like every other /v1 endpoint.
    /// </remarks>
    public static IEndpointRouteBuilder MapFleetEndpoints(this IEndpointRouteBuilder v1, ClusterCoordinator coordinator, int? maxBodyBytes = null, int maxJsonDepth = JsonLimits.DefaultDepth)
    {
        ArgumentNullException.ThrowIfNull(v1);
        ArgumentNullException.ThrowIfNull(coordinator);
        var limit = new BodyLimits(maxBodyBytes ?? 256 * 1024, maxJsonDepth);

        v1.MapPost("/cluster/nodes/{id}/desired", context => DesiredAsync(context, coordinator, limit));
        v1.MapPost("/cluster/deploy", context => DeployAsync(context, coordinator, limit));
        v1.MapGet("/cluster/nodes/{id}/heartbeat", context => LastHeartbeatAsync(context, coordinator));
        return v1;
    }

    private readonly record struct BodyLimits(int Bytes, int Depth);

    private static async Task LastHeartbeatAsync(HttpContext context, ClusterCoordinator coordinator)
    {
        var id = context.Request.RouteValues["id"] as string ?? "";
        if (coordinator.LastHeartbeat(id) is not { } heartbeat)
        {
            var detail = coordinator.Registry.GetNode(id) is null ? $"Node not found: {id}" : $"Node {id} has not sent a heartbeat to this coordinator";
            await WriteProblemAsync(context, new FleetProblem("about:blank", "Not Found", 404, detail)).ConfigureAwait(false);
            return;
        }

        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, heartbeat, MqttJsonContext.Default.HeartbeatMessage, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task DesiredAsync(HttpContext context, ClusterCoordinator coordinator, BodyLimits limit)
    {
        var id = context.Request.RouteValues["id"] as string ?? "";
        var (desired, problem) = await ReadAsync(context, limit, MqttJsonContext.Default.SyncStateMessage).ConfigureAwait(false);
        if (problem is not null)
        {
            await WriteProblemAsync(context, problem).ConfigureAwait(false);
            return;
        }

        // Canonicalized once as the body was read, hashed once here; the same bytes and checksum go out on MQTT.
        var state = desired!.ToSyncState();
        if (!state.Verify())
        {
            await WriteProblemAsync(context, BadRequest($"checksum '{desired.Checksum}' does not match data (expected the MD5 of Python's json.dumps(data, sort_keys=True))")).ConfigureAwait(false);
            return;
        }

        if (coordinator.Registry.GetNode(id) is null)
        {
            await WriteProblemAsync(context, new FleetProblem("about:blank", "Not Found", 404, $"Node not found: {id}")).ConfigureAwait(false);
            return;
        }

        await SendAsync(context, coordinator.SendDesiredAsync(id, state, context.RequestAborted)).ConfigureAwait(false);
    }

    private static async Task DeployAsync(HttpContext context, ClusterCoordinator coordinator, BodyLimits limit)
    {
        var (request, problem) = await ReadAsync(context, limit, MqttJsonContext.Default.FleetDeployRequest).ConfigureAwait(false);
        if (problem is not null)
        {
            await WriteProblemAsync(context, problem).ConfigureAwait(false);
            return;
        }

        if (string.IsNullOrWhiteSpace(request!.FunctionId))
        {
            await WriteProblemAsync(context, BadRequest("functionId must not be empty")).ConfigureAwait(false);
            return;
        }

        if (request.Action is not ("deploy" or "undeploy"))
        {
            await WriteProblemAsync(context, BadRequest($"action must be 'deploy' or 'undeploy', got '{request.Action}'")).ConfigureAwait(false);
            return;
        }

        if (!string.IsNullOrEmpty(request.NodeId) && coordinator.Registry.GetNode(request.NodeId) is null)
        {
            await WriteProblemAsync(context, new FleetProblem("about:blank", "Not Found", 404, $"Node not found: {request.NodeId}")).ConfigureAwait(false);
            return;
        }

        await SendAsync(context, coordinator.SendDeployAsync(request.FunctionId, request.Action, request.NodeId, request.Capability, context.RequestAborted)).ConfigureAwait(false);
    }

    private static async Task SendAsync(HttpContext context, Task<FleetSendResult> sending)
    {
        FleetSendResult result;
        try
        {
            result = await sending.ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            await WriteProblemAsync(context, new FleetProblem("about:blank", "Service Unavailable", 503, ex.Message)).ConfigureAwait(false);
            return;
        }
        catch (Exception ex) when (ex is MqttPublishRejectedException or IOException or TimeoutException || ex.GetType().Namespace?.StartsWith("MQTTnet", StringComparison.Ordinal) == true)
        {
            await WriteProblemAsync(context, new FleetProblem("about:blank", "Service Unavailable", 503, $"MQTT publish failed: {ex.Message}")).ConfigureAwait(false);
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, result, MqttJsonContext.Default.FleetSendResult, context.RequestAborted).ConfigureAwait(false);
    }

    private static async Task<(T? Value, FleetProblem? Problem)> ReadAsync<T>(HttpContext context, BodyLimits limits, JsonTypeInfo<T> info)
        where T : class
    {
        var limit = limits.Bytes;
        if (context.Request.ContentLength > limit)
        {
            return (null, TooLarge(context.Request.ContentLength.Value, limit));
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return (null, TooLarge(buffer.Length + read, limit));
            }

            buffer.Write(chunk, 0, read);
        }

        if (buffer.Length == 0)
        {
            return (null, BadRequest("request body is empty: expected a JSON object"));
        }

        var json = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        if (!JsonInput.TryValidate(json, limits.Depth + 1, out var invalid)) // the envelope's own level, as on MQTT
        {
            return (null, BadRequest($"malformed JSON body: {invalid}"));
        }

        var value = MqttJson.TryParse(json, info, out var error);
        return value is null ? (null, BadRequest($"malformed JSON body: {error}")) : (value, null);
    }

    private static FleetProblem BadRequest(string detail) => new("about:blank", "Bad Request", 400, detail);

    private static FleetProblem TooLarge(long length, int limit) =>
        new("about:blank", "Payload Too Large", 413, $"body of {length}+ bytes exceeds the MQTT message limit of {limit} bytes");

    private static async Task WriteProblemAsync(HttpContext context, FleetProblem problem)
    {
        context.Response.StatusCode = problem.Status;
        context.Response.ContentType = "application/problem+json";
        await JsonSerializer.SerializeAsync(context.Response.Body, problem, MqttJsonContext.Default.FleetProblem, context.RequestAborted).ConfigureAwait(false);
    }
}
