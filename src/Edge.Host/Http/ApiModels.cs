using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Edge.Host.Functions;
using Edge.Host.Mqtt;
using Edge.Runtime;

namespace Edge.Host.Http;

/// <summary><c>POST /v1/state/confirm</c> body.</summary>
public sealed record ConfirmRequest(long? UpToVersion);

/// <summary><c>POST /v1/state/confirm</c> reply.</summary>
public sealed record ConfirmResponse(int Removed);

/// <summary><c>POST /v1/state/remote</c> reply; <c>reason</c> says why a state was refused.</summary>
public sealed record ApplyRemoteResponse(bool Applied, string? Reason);

/// <summary>
/// A node on the wire. <c>functions</c> are the functions deployed on it; <c>heardFrom</c> is null on a plain node
/// (its cluster is what it was told over HTTP) and, on a coordinator, false for a node registered over HTTP that has not
/// reported over MQTT yet.
/// </summary>
public sealed record NodeInfo(
    string Id,
    string Name,
    string Location,
    string Status,
    IReadOnlyList<string> Capabilities,
    JsonObject Metadata,
    DateTimeOffset LastHeartbeat,
    bool Draining,
    bool? HeardFrom,
    IReadOnlyList<FunctionInfo> Functions)
{
    /// <summary>A member of the node's in-process cluster.</summary>
    public static NodeInfo From(EdgeNode node, bool draining, EdgeRuntime? runtime) => new(
        node.Id,
        node.Name,
        node.Location,
        NodeStatusNames.ToWire(node.Status),
        [.. node.Capabilities],
        node.Metadata,
        node.LastHeartbeat,
        draining,
        HeardFrom: null,
        runtime is null ? [] : [.. runtime.ListFunctions().Select(FunctionInfo.From)]);

    /// <summary>A node of the coordinator's fleet registry.</summary>
    public static NodeInfo From(Fleet.FleetNode node) => new(
        node.Id,
        node.Name,
        node.Location,
        NodeStatusNames.ToWire(node.Status),
        node.Capabilities,
        node.Metadata,
        node.LastSeen,
        Draining: false,
        node.HeardFrom,
        node.Functions);
}

/// <summary><c>POST /v1/cluster/nodes</c> body.</summary>
public sealed record RegisterNodeRequest(string? Id, string? Name, string? Location, IReadOnlyList<string>? Capabilities, JsonObject? Metadata, string? Status);

/// <summary><c>POST /v1/cluster/nodes/{id}/heartbeat</c> body (optional).</summary>
public sealed record HeartbeatRequest(string? Status);

/// <summary><c>GET /healthz</c> and <c>/readyz</c> reply.</summary>
public sealed record HealthResponse(string Status, string NodeId, int Functions, long LocalVersion, int Pending, string? Problem, string Version);

/// <summary><c>GET /v1/metrics</c> reply.</summary>
public sealed record MetricsResponse(
    string NodeId,
    MetricsSummary Invocations,
    IReadOnlyList<FunctionMetrics> Functions,
    SyncSummary Sync,
    ClusterHealth Cluster,
    long RunawayInvocations,
    long CancelledInvocations,
    int InFlight,
    int ColdStarts);

/// <summary>One function's figures in <see cref="MetricsResponse"/>.</summary>
public sealed record FunctionMetrics(string Id, long Invocations, long Errors, double SuccessRate, double AvgLatencyMs, double P50Ms, double P95Ms, double P99Ms);

/// <summary>The host's wire names of <see cref="EdgeNodeStatus"/>: lowercase.</summary>
public static class NodeStatusNames
{
    public static string ToWire(EdgeNodeStatus status) => status switch
    {
        EdgeNodeStatus.Online => "online",
        EdgeNodeStatus.Offline => "offline",
        EdgeNodeStatus.Degraded => "degraded",
        EdgeNodeStatus.Syncing => "syncing",
        EdgeNodeStatus.Maintenance => "maintenance",
        _ => status.ToString().ToLowerInvariant(),
    };

    /// <summary>Exactly one status name, in any case; numbers and comma lists are not names.</summary>
    public static bool TryParse(string? text, out EdgeNodeStatus status)
    {
        foreach (var candidate in Enum.GetValues<EdgeNodeStatus>())
        {
            if (string.Equals(text, ToWire(candidate), StringComparison.OrdinalIgnoreCase))
            {
                status = candidate;
                return true;
            }
        }

        status = default;
        return false;
    }
}

/// <summary>
/// A <see cref="SyncState"/> on the HTTP API: <c>{"version","data","checksum","updatedAt"}</c>, with <c>data</c> the
/// state's stored canonical bytes written as they are (no re-serialization). The API only writes states.
/// </summary>
public sealed class SyncStateJsonConverter : JsonConverter<SyncState>
{
    /// <inheritdoc />
    public override SyncState Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("The HTTP API reads remote states as SyncStateMessage.");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, SyncState value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartObject();
        writer.WriteNumber("version"u8, value.Version);
        writer.WritePropertyName("data"u8);
        writer.WriteRawValue(value.Canonical.Span, skipInputValidation: true);
        writer.WriteString("checksum"u8, value.Checksum);
        writer.WriteString("updatedAt"u8, value.UpdatedAt);
        writer.WriteEndObject();
    }
}

/// <summary>A <see cref="PendingChange"/> on the HTTP API: <c>{"type","version","data","timestamp","isDelta"}</c>, <c>data</c> as stored.</summary>
public sealed class PendingChangeJsonConverter : JsonConverter<PendingChange>
{
    /// <inheritdoc />
    public override PendingChange Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        throw new NotSupportedException("The HTTP API does not read pending changes.");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, PendingChange value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStartObject();
        writer.WriteString("type"u8, value.Type);
        writer.WriteNumber("version"u8, value.Version);
        writer.WritePropertyName("data"u8);
        writer.WriteRawValue(value.Canonical.Span, skipInputValidation: true);
        writer.WriteString("timestamp"u8, value.Timestamp);
        writer.WriteBoolean("isDelta"u8, value.IsDelta);
        writer.WriteEndObject();
    }
}

/// <summary>
/// Source-generated JSON for everything the HTTP API reads and writes, the MQTT wire messages it carries included (a
/// desired state, a deploy request, a heartbeat): one context, so every route reads names case-sensitively, refuses
/// null where the model has no null, writes nulls, and names node statuses in lowercase. No reflection.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    Converters = [typeof(SyncStateJsonConverter), typeof(PendingChangeJsonConverter), typeof(NodeStatusJsonConverter)],
    UseStringEnumConverter = true,
    PropertyNameCaseInsensitive = false,
    RespectNullableAnnotations = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict,
    MaxDepth = JsonLimits.SerializerDepth)]
[JsonSerializable(typeof(SyncState))]
[JsonSerializable(typeof(PendingChange[]))]
[JsonSerializable(typeof(FunctionInfo[]))]
[JsonSerializable(typeof(ConfirmRequest))]
[JsonSerializable(typeof(ConfirmResponse))]
[JsonSerializable(typeof(ApplyRemoteResponse))]
[JsonSerializable(typeof(NodeInfo))]
[JsonSerializable(typeof(NodeInfo[]))]
[JsonSerializable(typeof(RegisterNodeRequest))]
[JsonSerializable(typeof(HeartbeatRequest))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(MetricsResponse))]
[JsonSerializable(typeof(SyncEvent[]))]
[JsonSerializable(typeof(SyncStateMessage))]
[JsonSerializable(typeof(HeartbeatMessage))]
[JsonSerializable(typeof(FleetDeployRequest))]
[JsonSerializable(typeof(FleetSendResult))]
public sealed partial class ApiJsonContext : JsonSerializerContext;
