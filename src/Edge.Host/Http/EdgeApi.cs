using System.Buffers;
using Edge.Host.Functions;
using Edge.Host.Metrics;
using Edge.Host.Node;
using Edge.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.Host.Http;

/// <summary>
/// The node's HTTP API (routes fixed by DESIGN.md §6): typed minimal-API handlers compiled by the Request Delegate
/// Generator (no binding reflection), bodies through <see cref="JsonBody"/>, every error a problem-details result.
/// </summary>
public static class EdgeApi
{
    /// <summary>
    /// Maps the node's routes (<c>/healthz</c>, <c>/readyz</c>, <c>/metrics</c> and the <c>/v1</c> API, plus the fleet
    /// routes on a coordinator) and the middleware they rely on: problem+json for bodyless errors, the store-failure
    /// handler, the token and JSON-body guard of <c>/v1</c>, and, on a loopback-only node, the loopback Host check.
    /// Needs <see cref="EdgeNodeServices.AddEdgeNode(IServiceCollection, FunctionCatalog, Options.HostSettings, TimeProvider?)"/>;
    /// opens (and recovers) the journal now, not on the first request. Returns the <c>/v1</c> group.
    /// </summary>
    public static RouteGroupBuilder MapEdgeApi(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var node = app.Services.GetService<LocalNode>()
            ?? throw new InvalidOperationException("MapEdgeApi needs the node's services: call builder.Services.AddEdgeNode(...) first.");
        node.MetricSources.Add(app.Services.GetRequiredService<MeterExporter>());
        app.UseStatusCodePages();
        if (node.Settings.IsLoopbackOnly())
        {
            app.UseLoopbackHostCheck();
        }

        var nodes = app.Services.GetRequiredService<INodeDirectory>();
        var reader = app.Services.GetRequiredService<RequestBody>();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = context => StoreFailures.Write(context, node.Store, context.Features.Get<IExceptionHandlerFeature>()!.Error),

            // A full disk or a stopped journal is an answer (507/503) and already counted, not a crash to log with its stack.
            SuppressDiagnosticsCallback = failure => StoreFailures.Handles(failure.Exception),
        });
        app.UseNodeApiGuard(node.Settings.Token);

        // The node's parts are captured once here: a handler resolves nothing per request (no request scope is made).
        app.MapGet("/healthz", () => Health(node, ready: false));
        app.MapGet("/readyz", () => Health(node, ready: true));
        app.MapGet("/metrics", () => TypedResults.Text(PrometheusText.Render(node, nodes), "text/plain; version=0.0.4; charset=utf-8"));

        var v1 = app.MapGroup("/v1").AsNodeApi().WithMetadata(reader);
        v1.MapGet("/functions", () => TypedResults.Json(node.Runtime.ListFunctions().Select(FunctionInfo.From).ToArray(), ApiJsonContext.Default.FunctionInfoArray));
        v1.MapPost("/functions/{id}/invoke", (string id, JsonBody body, HttpContext context) => Invoke(id, body, node, reader, context));

        v1.MapGet("/state", () => TypedResults.Json(node.Synchronizer.GetLocalState() ?? SyncState.FromJson("{}"u8, 0, node.StartedAt), ApiJsonContext.Default.SyncState));
        v1.MapPut("/state", (JsonBody body) => UpdateState(body, node, reader, isDelta: false));
        v1.MapPatch("/state", (JsonBody body) => UpdateState(body, node, reader, isDelta: true));
        v1.MapGet("/state/pending", () => TypedResults.Json(node.Synchronizer.GetPendingChanges().ToArray(), ApiJsonContext.Default.PendingChangeArray));
        v1.MapGet("/state/history", (string? limit) =>
            TypedResults.Json(node.Synchronizer.SyncHistory(int.TryParse(limit, out var l) && l > 0 ? l : 20).ToArray(), ApiJsonContext.Default.SyncEventArray));
        v1.MapPost("/state/confirm", (JsonBody body) => Confirm(body, node, reader));
        v1.MapPost("/state/remote", (JsonBody body) => ApplyRemote(body, node, reader));

        v1.MapGet("/cluster/nodes", ([FromQuery(Name = "status")] string[]? status) => ListNodes(nodes, status));
        v1.MapPost("/cluster/nodes", (JsonBody body) => RegisterNode(body, node, nodes, reader));
        v1.MapGet("/cluster/nodes/{id}", (string id) =>
            nodes.Get(id) is { } found ? (IResult)TypedResults.Json(found, ApiJsonContext.Default.NodeInfo) : Problems.NotFound($"Node not found: {id}"));
        v1.MapPost("/cluster/nodes/{id}/heartbeat", (string id, JsonBody body) => Heartbeat(id, body, nodes, reader));
        v1.MapDelete("/cluster/nodes/{id}", (string id) => DeregisterNode(id, node, nodes));

        v1.MapGet("/metrics", () => MetricsJson(node, nodes));
        if (app.Services.GetService<Mqtt.ClusterCoordinator>() is { } coordinator)
        {
            v1.MapFleetEndpoints(coordinator, reader);
        }

        // Built now, so /metrics lists their instruments from the first request.
        app.Services.GetService<Broker.EmbeddedBroker>();
        app.Services.GetService<Mqtt.NodeSyncAgent>();
        return v1;
    }

    private static JsonHttpResult<HealthResponse> Health(LocalNode node, bool ready)
    {
        string? problem = null;
        if (ready && node.Store.FaultReason is { } fault)
        {
            problem = fault;
        }
        else if (ready && node.Runtime.FunctionCount == 0)
        {
            problem = "no functions deployed";
        }

        var summary = node.Synchronizer.Summary();
        return TypedResults.Json(
            new HealthResponse(problem is null ? "ok" : "unavailable", node.Node.Id, node.Runtime.FunctionCount, summary.LocalVersion, summary.PendingCount, problem, EdgeHost.Version),
            ApiJsonContext.Default.HealthResponse,
            statusCode: problem is null ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<IResult> Invoke(string id, JsonBody body, LocalNode node, RequestBody reader, HttpContext context)
    {
        if (node.Runtime.GetFunction(id) is null)
        {
            return Problems.NotFound($"Function not found: {id}");
        }

        if (body.Problem is { } tooLarge)
        {
            return tooLarge;
        }

        var arguments = body.Bytes;
        if (arguments.IsEmpty)
        {
            arguments = "{}"u8.ToArray();
        }
        else if (reader.Validate(arguments.Span) is { } problem)
        {
            return Problems.BadRequest(problem);
        }

        var result = new ArrayBufferWriter<byte>();
        try
        {
            await node.Runtime.InvokeJsonAsync(id, arguments, result, context.RequestAborted);
        }
        catch (Exception error) when (error is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            return Problems.ForInvocation(error);
        }

        return result.WrittenCount == 0 ? TypedResults.NoContent() : TypedResults.Bytes(result.WrittenMemory, "application/json");
    }

    private static async Task<IResult> UpdateState(JsonBody body, LocalNode node, RequestBody reader, bool isDelta)
    {
        if (reader.CheckObject(body) is { } problem)
        {
            return problem;
        }

        try
        {
            // Validated by RequestBody (JsonInput): canonicalized straight from the body's bytes, once. The reply (and
            // the change feed, which the MQTT side follows) sees the version only once it is durable; no thread waits.
            return TypedResults.Json(await node.Synchronizer.UpdateLocalJsonAsync(body.Bytes, isDelta), ApiJsonContext.Default.SyncState);
        }
        catch (SyncVersionExhaustedException e)
        {
            return Problems.Conflict(e.Message);
        }
    }

    private static async Task<IResult> Confirm(JsonBody body, LocalNode node, RequestBody reader)
    {
        if (reader.TryDeserialize(body, ApiJsonContext.Default.ConfirmRequest, out var request) is { } problem)
        {
            return problem;
        }

        if (request.UpToVersion is not { } upTo || upTo < 0)
        {
            return Problems.BadRequest("'upToVersion' must be a non-negative integer (a JSON number, not a string).");
        }

        return TypedResults.Json(new ConfirmResponse(await node.Synchronizer.ConfirmSyncAsync(upTo)), ApiJsonContext.Default.ConfirmResponse);
    }

    private static async Task<IResult> ApplyRemote(JsonBody body, LocalNode node, RequestBody reader)
    {
        // The wire SyncState of MQTT: version (integer), data (object), checksum and updatedAt are required and typed.
        if (reader.TryDeserialize(body, ApiJsonContext.Default.SyncStateMessage, out var message) is { } problem)
        {
            return problem;
        }

        var (applied, reason) = await node.Synchronizer.ApplyRemoteAsync(message.ToSyncState());
        return TypedResults.Json(new ApplyRemoteResponse(applied, applied ? null : reason), ApiJsonContext.Default.ApplyRemoteResponse);
    }

    private static IResult ListNodes(INodeDirectory nodes, string[]? statuses)
    {
        HashSet<EdgeNodeStatus>? filter = null;
        foreach (var text in statuses ?? [])
        {
            foreach (var name in (text ?? "").Split(',', StringSplitOptions.TrimEntries))
            {
                if (!NodeStatusNames.TryParse(name, out var status))
                {
                    return Problems.BadRequest($"Unknown status '{name}' in ?status=: use one or a comma list of online, offline, degraded, syncing, maintenance.");
                }

                (filter ??= []).Add(status);
            }
        }

        return TypedResults.Json(nodes.List(filter).ToArray(), ApiJsonContext.Default.NodeInfoArray);
    }

    private static IResult RegisterNode(JsonBody body, LocalNode node, INodeDirectory nodes, RequestBody reader)
    {
        if (reader.TryDeserialize(body, ApiJsonContext.Default.RegisterNodeRequest, out var request) is { } problem)
        {
            return problem;
        }

        if (NodeIds.Validate(request.Id) is { } idProblem)
        {
            return Problems.BadRequest($"'id': {idProblem}.");
        }

        if (request.Id == node.Node.Id)
        {
            return Problems.Conflict($"'{request.Id}' is this node's own id: its entry is kept by the node itself and cannot be replaced through the API.");
        }

        var status = EdgeNodeStatus.Online;
        if (request.Status is not null && !NodeStatusNames.TryParse(request.Status, out status))
        {
            return Problems.BadRequest($"Unknown status '{request.Status}'.");
        }

        var registered = nodes.Register(request.Id!, request.Name ?? request.Id!, request.Location ?? "", request.Capabilities ?? [], request.Metadata ?? [], status);
        return new Created(TypedResults.Json(registered, ApiJsonContext.Default.NodeInfo, statusCode: StatusCodes.Status201Created), $"/v1/cluster/nodes/{Uri.EscapeDataString(registered.Id)}");
    }

    private static IResult Heartbeat(string id, JsonBody body, INodeDirectory nodes, RequestBody reader)
    {
        if (body.Problem is { } tooLarge)
        {
            return tooLarge;
        }

        EdgeNodeStatus? status = null;
        if (!body.Bytes.IsEmpty)
        {
            if (reader.TryDeserialize(body.Bytes.Span, ApiJsonContext.Default.HeartbeatRequest, out var request) is { } problem)
            {
                return problem;
            }

            if (request.Status is not null)
            {
                if (!NodeStatusNames.TryParse(request.Status, out var parsed))
                {
                    return Problems.BadRequest($"Unknown status '{request.Status}'.");
                }

                status = parsed;
            }
        }

        return nodes.Heartbeat(id, status) is { } updated ? TypedResults.Json(updated, ApiJsonContext.Default.NodeInfo) : Problems.NotFound($"Node not found: {id}");
    }

    private static IResult DeregisterNode(string id, LocalNode node, INodeDirectory nodes)
    {
        if (id == node.Node.Id)
        {
            return Problems.Conflict($"'{id}' is this node's own id: its entry cannot be removed through the API.");
        }

        return nodes.Deregister(id) ? TypedResults.NoContent() : Problems.NotFound($"Node not found: {id}");
    }

    private static JsonHttpResult<MetricsResponse> MetricsJson(LocalNode node, INodeDirectory nodes)
    {
        var metrics = node.Runtime.Metrics;
        var functions = node.Runtime.ListFunctions().Select(f =>
        {
            var s = metrics.Summary(f.Id);
            return new FunctionMetrics(f.Id, s.TotalInvocations, s.ErrorCount, s.SuccessRate, s.AvgLatencyMs, s.P50Ms, s.P95Ms, s.P99Ms);
        }).ToArray();
        var response = new MetricsResponse(
            node.Node.Id,
            metrics.Summary(),
            functions,
            node.Synchronizer.Summary(),
            nodes.Health(),
            node.Runtime.RunawayCount,
            node.Runtime.CancelledCount,
            node.Runtime.InFlight,
            node.Runtime.ColdStartCount);
        return TypedResults.Json(response, ApiJsonContext.Default.MetricsResponse);
    }

    /// <summary>A 201 with its Location header around the JSON of the created resource.</summary>
    private sealed class Created(IResult json, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return json.ExecuteAsync(httpContext);
        }
    }
}
