using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Edge.Host.Fleet;
using Edge.Host.Functions;
using Edge.Host.Metrics;
using Edge.Host.Node;
using Edge.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.Host.Http;

/// <summary>The node's HTTP API (routes fixed by DESIGN.md §6). Every handler is a plain RequestDelegate: no binding reflection.</summary>
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
        app.UseStatusCodePages(context => Problems.ForBodylessStatus(context.HttpContext));
        if (node.Settings.IsLoopbackOnly())
        {
            app.UseLoopbackHostCheck();
        }

        var body = new RequestBody(node.Settings.MaxBodyBytes, node.Settings.MaxJsonDepth);

        // A coordinator lists the fleet its heartbeats report; a plain node its own in-process cluster.
        INodeDirectory nodes = app.Services.GetService<FleetRegistry>() is { } registry ? new FleetDirectory(registry) : new ClusterDirectory(node.Cluster);
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = context => StoreFailures.Write(context, node.Store, context.Features.Get<IExceptionHandlerFeature>()!.Error),

            // A full disk or a stopped journal is an answer (507/503) and already counted, not a crash to log with its stack.
            SuppressDiagnosticsCallback = failure => StoreFailures.Handles(failure.Exception),
        });
        app.UseNodeApiGuard(node.Settings.Token);

        app.MapGet("/healthz", context => Health(context, node, ready: false));
        app.MapGet("/readyz", context => Health(context, node, ready: true));
        app.MapGet("/metrics", context => Prometheus(context, node, nodes));

        var v1 = app.MapGroup("/v1").AsNodeApi();
        v1.MapGet("/functions", context => ListFunctions(context, node));
        v1.MapPost("/functions/{id}/invoke", context => Invoke(context, node, body));

        v1.MapGet("/state", context => GetState(context, node));
        v1.MapPut("/state", context => UpdateState(context, node, body, isDelta: false));
        v1.MapPatch("/state", context => UpdateState(context, node, body, isDelta: true));
        v1.MapGet("/state/pending", context => Json(context, node.Synchronizer.GetPendingChanges().ToArray(), ApiJsonContext.Default.PendingChangeArray));
        v1.MapGet("/state/history", context => History(context, node));
        v1.MapPost("/state/confirm", context => Confirm(context, node, body));
        v1.MapPost("/state/remote", context => ApplyRemote(context, node, body));

        v1.MapGet("/cluster/nodes", context => ListNodes(context, nodes));
        v1.MapPost("/cluster/nodes", context => RegisterNode(context, node, nodes, body));
        v1.MapGet("/cluster/nodes/{id}", context => GetNode(context, nodes));
        v1.MapPost("/cluster/nodes/{id}/heartbeat", context => Heartbeat(context, nodes, body));
        v1.MapDelete("/cluster/nodes/{id}", context => DeregisterNode(context, node, nodes));

        v1.MapGet("/metrics", context => MetricsJson(context, node, nodes));
        if (app.Services.GetService<Mqtt.ClusterCoordinator>() is { } fleet)
        {
            v1.MapFleetEndpoints(fleet, node.Settings.MaxBodyBytes, node.Settings.MaxJsonDepth);
        }

        // Built now, so /metrics lists their instruments from the first request.
        app.Services.GetService<Broker.EmbeddedBroker>();
        app.Services.GetService<Mqtt.NodeSyncAgent>();
        return v1;
    }

    private static Task Json<T>(HttpContext context, T value, JsonTypeInfo<T> type, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, value, type, context.RequestAborted);
    }

    private static string RouteId(HttpContext context) => (string)context.Request.RouteValues["id"]!;

    private static Task Health(HttpContext context, LocalNode node, bool ready)
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
        var status = problem is null ? "ok" : "unavailable";
        return Json(
            context,
            new HealthResponse(status, node.Node.Id, node.Runtime.FunctionCount, summary.LocalVersion, summary.PendingCount, problem),
            ApiJsonContext.Default.HealthResponse,
            problem is null ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static Task ListFunctions(HttpContext context, LocalNode node)
    {
        var functions = node.Runtime.ListFunctions()
            .Select(FunctionInfo.From)
            .ToArray();
        return Json(context, functions, ApiJsonContext.Default.FunctionInfoArray);
    }

    private static async Task Invoke(HttpContext context, LocalNode node, RequestBody body)
    {
        var id = RouteId(context);
        if (node.Runtime.GetFunction(id) is null)
        {
            await Problems.NotFound(context, $"Function not found: {id}");
            return;
        }

        if (await body.ReadAsync(context) is not { } arguments)
        {
            return;
        }

        if (arguments.IsEmpty)
        {
            arguments = "{}"u8.ToArray();
        }
        else if (body.Validate(arguments.Span) is { } problem)
        {
            await Problems.BadRequest(context, problem);
            return;
        }

        var result = new ArrayBufferWriter<byte>();
        try
        {
            await node.Runtime.InvokeJsonAsync(id, arguments, result, context.RequestAborted);
        }
        catch (Exception error) when (error is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            await Problems.ForInvocation(context, error);
            return;
        }

        if (result.WrittenCount == 0)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        context.Response.ContentType = "application/json";
        context.Response.ContentLength = result.WrittenCount;
        await context.Response.Body.WriteAsync(result.WrittenMemory, context.RequestAborted);
    }

    private static Task GetState(HttpContext context, LocalNode node)
    {
        var state = node.Synchronizer.GetLocalState() ?? SyncState.FromJson("{}"u8, 0, node.StartedAt);
        return Json(context, state, ApiJsonContext.Default.SyncState);
    }

    private static async Task UpdateState(HttpContext context, LocalNode node, RequestBody body, bool isDelta)
    {
        if (await body.ReadObjectAsync(context) is not { } data)
        {
            return;
        }

        SyncState state;
        try
        {
            // Validated by RequestBody (JsonInput): canonicalized straight from the body's bytes, once. The reply (and
            // the change feed, which the MQTT side follows) sees the version only once it is durable; no thread waits.
            state = await node.Synchronizer.UpdateLocalJsonAsync(data, isDelta);
        }
        catch (SyncVersionExhaustedException e)
        {
            await Problems.Conflict(context, e.Message);
            return;
        }

        await Json(context, state, ApiJsonContext.Default.SyncState);
    }

    private static Task History(HttpContext context, LocalNode node)
    {
        var limit = int.TryParse(context.Request.Query["limit"], out var n) && n > 0 ? n : 20;
        return Json(context, node.Synchronizer.SyncHistory(limit).ToArray(), ApiJsonContext.Default.SyncEventArray);
    }

    private static async Task Confirm(HttpContext context, LocalNode node, RequestBody body)
    {
        if (await body.ReadAsync(context, ApiJsonContext.Default.ConfirmRequest) is not { } request)
        {
            return;
        }

        if (request.UpToVersion is not { } upTo || upTo < 0)
        {
            await Problems.BadRequest(context, "'upToVersion' must be a non-negative integer (a JSON number, not a string).");
            return;
        }

        await Json(context, new ConfirmResponse(await node.Synchronizer.ConfirmSyncAsync(upTo)), ApiJsonContext.Default.ConfirmResponse);
    }

    private static async Task ApplyRemote(HttpContext context, LocalNode node, RequestBody body)
    {
        // The wire SyncState of MQTT: version (integer), data (object), checksum and updatedAt are required and typed.
        if (await body.ReadAsync(context, Mqtt.MqttJsonContext.Default.SyncStateMessage) is not { } message)
        {
            return;
        }

        var (applied, reason) = await node.Synchronizer.ApplyRemoteAsync(message.ToSyncState());
        await Json(context, new ApplyRemoteResponse(applied, applied ? null : reason), ApiJsonContext.Default.ApplyRemoteResponse);
    }

    private static async Task ListNodes(HttpContext context, INodeDirectory nodes)
    {
        HashSet<EdgeNodeStatus>? filter = null;
        foreach (var text in context.Request.Query["status"])
        {
            foreach (var name in (text ?? "").Split(',', StringSplitOptions.TrimEntries))
            {
                if (!NodeStatusNames.TryParse(name, out var status))
                {
                    await Problems.BadRequest(context, $"Unknown status '{name}' in ?status=: use one or a comma list of online, offline, degraded, syncing, maintenance.");
                    return;
                }

                (filter ??= []).Add(status);
            }
        }

        await Json(context, nodes.List(filter).ToArray(), ApiJsonContext.Default.NodeInfoArray);
    }

    private static Task GetNode(HttpContext context, INodeDirectory nodes)
    {
        var id = RouteId(context);
        return nodes.Get(id) is { } found
            ? Json(context, found, ApiJsonContext.Default.NodeInfo)
            : Problems.NotFound(context, $"Node not found: {id}");
    }

    private static async Task RegisterNode(HttpContext context, LocalNode node, INodeDirectory nodes, RequestBody body)
    {
        if (await body.ReadAsync(context, ApiJsonContext.Default.RegisterNodeRequest) is not { } request)
        {
            return;
        }

        if (NodeIds.Validate(request.Id) is { } idProblem)
        {
            await Problems.BadRequest(context, $"'id': {idProblem}.");
            return;
        }

        if (request.Id == node.Node.Id)
        {
            await Problems.Conflict(context, $"'{request.Id}' is this node's own id: its entry is kept by the node itself and cannot be replaced through the API.");
            return;
        }

        var status = EdgeNodeStatus.Online;
        if (request.Status is not null && !NodeStatusNames.TryParse(request.Status, out status))
        {
            await Problems.BadRequest(context, $"Unknown status '{request.Status}'.");
            return;
        }

        var registered = nodes.Register(request.Id!, request.Name ?? request.Id!, request.Location ?? "", request.Capabilities ?? [], request.Metadata ?? [], status);
        context.Response.Headers.Location = $"/v1/cluster/nodes/{Uri.EscapeDataString(registered.Id)}";
        await Json(context, registered, ApiJsonContext.Default.NodeInfo, StatusCodes.Status201Created);
    }

    private static async Task Heartbeat(HttpContext context, INodeDirectory nodes, RequestBody body)
    {
        var id = RouteId(context);
        if (await body.ReadAsync(context) is not { } raw)
        {
            return;
        }

        EdgeNodeStatus? status = null;
        if (!raw.IsEmpty)
        {
            if (await body.DeserializeAsync(context, raw, ApiJsonContext.Default.HeartbeatRequest) is not { } request)
            {
                return;
            }

            if (request.Status is not null)
            {
                if (!NodeStatusNames.TryParse(request.Status, out var parsed))
                {
                    await Problems.BadRequest(context, $"Unknown status '{request.Status}'.");
                    return;
                }

                status = parsed;
            }
        }

        if (nodes.Heartbeat(id, status) is not { } updated)
        {
            await Problems.NotFound(context, $"Node not found: {id}");
            return;
        }

        await Json(context, updated, ApiJsonContext.Default.NodeInfo);
    }

    private static Task DeregisterNode(HttpContext context, LocalNode node, INodeDirectory nodes)
    {
        var id = RouteId(context);
        if (id == node.Node.Id)
        {
            return Problems.Conflict(context, $"'{id}' is this node's own id: its entry cannot be removed through the API.");
        }

        if (!nodes.Deregister(id))
        {
            return Problems.NotFound(context, $"Node not found: {id}");
        }

        context.Response.StatusCode = StatusCodes.Status204NoContent;
        return Task.CompletedTask;
    }

    private static Task MetricsJson(HttpContext context, LocalNode node, INodeDirectory nodes)
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
        return Json(context, response, ApiJsonContext.Default.MetricsResponse);
    }

    private static async Task Prometheus(HttpContext context, LocalNode node, INodeDirectory nodes)
    {
        context.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        await context.Response.WriteAsync(PrometheusText.Render(node, nodes), context.RequestAborted);
    }
}
