using Edge.Host.Mqtt;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Edge.Host.Http;

/// <summary>HTTP endpoints of the coordinator role: push desired state and deployment intents to the fleet.</summary>
internal static class FleetEndpoints
{
    /// <summary>
    /// Maps <c>POST /v1/cluster/nodes/{id}/desired</c> (body: a SyncState) and <c>POST /v1/cluster/deploy</c>
    /// (body: <c>{"functionId","action","nodeId"?,"capability"?}</c>), both replying <c>{"sent":n,"nodes":[…]}</c>, and
    /// <c>GET /v1/cluster/nodes/{id}/heartbeat</c> (the node's last heartbeat: functions, load, versions, pending). Bodies
    /// are read by the node's one validating reader under the node's limits, and errors are the API's problem+json: 400
    /// bad body, 404 unknown node, 413 body over the limit, 503 broker unreachable.
    /// </summary>
    /// <remarks>Mapped on the node's <c>/v1</c> group, so the group's rules (token, JSON bodies) guard them like every other /v1 endpoint.</remarks>
    public static IEndpointRouteBuilder MapFleetEndpoints(this IEndpointRouteBuilder v1, ClusterCoordinator coordinator, RequestBody reader)
    {
        ArgumentNullException.ThrowIfNull(v1);
        v1.MapPost("/cluster/nodes/{id}/desired", (string id, JsonBody body, HttpContext context) => DesiredAsync(id, body, coordinator, reader, context));
        v1.MapPost("/cluster/deploy", (JsonBody body, HttpContext context) => DeployAsync(body, coordinator, reader, context));
        v1.MapGet("/cluster/nodes/{id}/heartbeat", (string id) => LastHeartbeat(id, coordinator));
        return v1;
    }

    private static IResult LastHeartbeat(string id, ClusterCoordinator coordinator) => coordinator.LastHeartbeat(id) is { } heartbeat
        ? TypedResults.Json(heartbeat, ApiJsonContext.Default.HeartbeatMessage)
        : Problems.NotFound(coordinator.Registry.GetNode(id) is null ? $"Node not found: {id}" : $"Node {id} has not sent a heartbeat to this coordinator.");

    private static async Task<IResult> DesiredAsync(string id, JsonBody body, ClusterCoordinator coordinator, RequestBody reader, HttpContext context)
    {
        if (reader.TryDeserialize(body, ApiJsonContext.Default.SyncStateMessage, out var desired) is { } problem)
        {
            return problem;
        }

        // Canonicalized once as the body was read, hashed once here; the same bytes and checksum go out on MQTT.
        var state = desired.ToSyncState();
        if (!state.Verify())
        {
            return Problems.BadRequest($"The checksum '{desired.Checksum}' does not match data (expected the MD5 of Python's json.dumps(data, sort_keys=True)).");
        }

        return coordinator.Registry.GetNode(id) is null
            ? Problems.NotFound($"Node not found: {id}")
            : await SendAsync(coordinator.SendDesiredAsync(id, state, context.RequestAborted));
    }

    private static async Task<IResult> DeployAsync(JsonBody body, ClusterCoordinator coordinator, RequestBody reader, HttpContext context)
    {
        if (reader.TryDeserialize(body, ApiJsonContext.Default.FleetDeployRequest, out var request) is { } problem)
        {
            return problem;
        }

        if (string.IsNullOrWhiteSpace(request.FunctionId))
        {
            return Problems.BadRequest("'functionId' must not be empty.");
        }

        if (request.Action is not ("deploy" or "undeploy"))
        {
            return Problems.BadRequest($"'action' must be 'deploy' or 'undeploy', got '{request.Action}'.");
        }

        if (!string.IsNullOrEmpty(request.NodeId) && coordinator.Registry.GetNode(request.NodeId) is null)
        {
            return Problems.NotFound($"Node not found: {request.NodeId}");
        }

        return await SendAsync(coordinator.SendDeployAsync(request.FunctionId, request.Action, request.NodeId, request.Capability, context.RequestAborted));
    }

    private static async Task<IResult> SendAsync(Task<FleetSendResult> sending)
    {
        try
        {
            return TypedResults.Json(await sending, ApiJsonContext.Default.FleetSendResult);
        }
        catch (InvalidOperationException ex)
        {
            // Not connected to the broker.
            return Problems.Of(StatusCodes.Status503ServiceUnavailable, "Broker unavailable", ex.Message);
        }
        catch (Exception ex) when (ex is MqttPublishRejectedException or IOException or TimeoutException)
        {
            // The transport reports MQTTnet's communication failures as IOException.
            return Problems.Of(StatusCodes.Status503ServiceUnavailable, "Broker unavailable", $"MQTT publish failed: {ex.Message}");
        }
    }
}
