using System.Text.Json;
using Edge.Host.Mqtt;
using Edge.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Edge.Host.Http;

/// <summary>HTTP endpoints of the coordinator role: push desired state and deployment intents to the fleet.</summary>
public static class FleetEndpoints
{
    /// <summary>
    /// Maps <c>POST /v1/cluster/nodes/{id}/desired</c> (body: a SyncState) and <c>POST /v1/cluster/deploy</c>
    /// (body: <c>{"functionId","action","nodeId"?,"capability"?}</c>), both replying <c>{"sent":n,"nodes":[…]}</c>, and
    /// <c>GET /v1/cluster/nodes/{id}/heartbeat</c> (the node's last heartbeat: functions, load, versions, pending). Bodies
    /// are read by the node's one validating reader under the node's limits, and errors are the API's problem+json: 400
    /// bad body, 404 unknown node, 413 body over the limit, 503 broker unreachable.
    /// </summary>
    /// <remarks>
    /// The routes are relative: map them on the node's <c>/v1</c> group (what <c>MapEdgeApi</c> returns) so the group's
    /// rules (token, JSON bodies) guard them like every other /v1 endpoint.
    /// </remarks>
    /// <param name="v1">The node's /v1 group.</param>
    /// <param name="coordinator">The coordinator that sends.</param>
    /// <param name="maxBodyBytes">The node's request body limit (<c>--max-body-bytes</c>).</param>
    /// <param name="maxJsonDepth">The node's JSON depth limit for state data (<c>--max-json-depth</c>).</param>
    public static IEndpointRouteBuilder MapFleetEndpoints(this IEndpointRouteBuilder v1, ClusterCoordinator coordinator, long maxBodyBytes, int maxJsonDepth = JsonLimits.DefaultDepth)
    {
        ArgumentNullException.ThrowIfNull(v1);
        ArgumentNullException.ThrowIfNull(coordinator);
        var body = new RequestBody(maxBodyBytes, maxJsonDepth);

        v1.MapPost("/cluster/nodes/{id}/desired", context => DesiredAsync(context, coordinator, body));
        v1.MapPost("/cluster/deploy", context => DeployAsync(context, coordinator, body));
        v1.MapGet("/cluster/nodes/{id}/heartbeat", context => LastHeartbeatAsync(context, coordinator));
        return v1;
    }

    private static string RouteId(HttpContext context) => context.Request.RouteValues["id"] as string ?? "";

    private static Task LastHeartbeatAsync(HttpContext context, ClusterCoordinator coordinator)
    {
        var id = RouteId(context);
        if (coordinator.LastHeartbeat(id) is not { } heartbeat)
        {
            return Problems.NotFound(context, coordinator.Registry.GetNode(id) is null ? $"Node not found: {id}" : $"Node {id} has not sent a heartbeat to this coordinator.");
        }

        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, heartbeat, MqttJsonContext.Default.HeartbeatMessage, context.RequestAborted);
    }

    private static async Task DesiredAsync(HttpContext context, ClusterCoordinator coordinator, RequestBody body)
    {
        var id = RouteId(context);
        if (await body.ReadAsync(context, MqttJsonContext.Default.SyncStateMessage) is not { } desired)
        {
            return;
        }

        // Canonicalized once as the body was read, hashed once here; the same bytes and checksum go out on MQTT.
        var state = desired.ToSyncState();
        if (!state.Verify())
        {
            await Problems.BadRequest(context, $"The checksum '{desired.Checksum}' does not match data (expected the MD5 of Python's json.dumps(data, sort_keys=True)).");
            return;
        }

        if (coordinator.Registry.GetNode(id) is null)
        {
            await Problems.NotFound(context, $"Node not found: {id}");
            return;
        }

        await SendAsync(context, coordinator.SendDesiredAsync(id, state, context.RequestAborted));
    }

    private static async Task DeployAsync(HttpContext context, ClusterCoordinator coordinator, RequestBody body)
    {
        if (await body.ReadAsync(context, MqttJsonContext.Default.FleetDeployRequest) is not { } request)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(request.FunctionId))
        {
            await Problems.BadRequest(context, "'functionId' must not be empty.");
            return;
        }

        if (request.Action is not ("deploy" or "undeploy"))
        {
            await Problems.BadRequest(context, $"'action' must be 'deploy' or 'undeploy', got '{request.Action}'.");
            return;
        }

        if (!string.IsNullOrEmpty(request.NodeId) && coordinator.Registry.GetNode(request.NodeId) is null)
        {
            await Problems.NotFound(context, $"Node not found: {request.NodeId}");
            return;
        }

        await SendAsync(context, coordinator.SendDeployAsync(request.FunctionId, request.Action, request.NodeId, request.Capability, context.RequestAborted));
    }

    private static async Task SendAsync(HttpContext context, Task<FleetSendResult> sending)
    {
        FleetSendResult result;
        try
        {
            result = await sending;
        }
        catch (InvalidOperationException ex)
        {
            // Not connected to the broker.
            await Problems.Write(context, StatusCodes.Status503ServiceUnavailable, "Broker unavailable", ex.Message);
            return;
        }
        catch (Exception ex) when (ex is MqttPublishRejectedException or IOException or TimeoutException)
        {
            // The transport reports MQTTnet's communication failures as IOException.
            await Problems.Write(context, StatusCodes.Status503ServiceUnavailable, "Broker unavailable", $"MQTT publish failed: {ex.Message}");
            return;
        }

        context.Response.ContentType = "application/json";
        await JsonSerializer.SerializeAsync(context.Response.Body, result, MqttJsonContext.Default.FleetSendResult, context.RequestAborted);
    }
}
