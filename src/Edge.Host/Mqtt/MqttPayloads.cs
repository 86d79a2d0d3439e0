using System.Text.Json;
using System.Text.Json.Serialization;
using Edge.Host.Functions;
using Edge.Runtime;

namespace Edge.Host.Mqtt;

/// <summary>
/// A SyncState on the wire (<c>state</c> and <c>desired</c> topics, <c>POST /v1/cluster/nodes/{id}/desired</c>):
/// <c>{"version":N,"data":{…},"checksum":"&lt;md5&gt;","updatedAt":"&lt;ISO-8601 UTC&gt;"}</c>.
/// </summary>
public sealed class SyncStateMessage
{
    /// <summary>The version.</summary>
    public required long Version { get; init; }

    /// <summary>The state's canonical JSON bytes (canonicalized once as the message is read; written as they are).</summary>
    [JsonConverter(typeof(CanonicalDataConverter))]
    public required ReadOnlyMemory<byte> Data { get; init; }

    /// <summary>Lowercase hex MD5 of Python's <c>json.dumps(data, sort_keys=True)</c>.</summary>
    public required string Checksum { get; init; }

    /// <summary>When the version was made (UTC).</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The wire form of <paramref name="state"/>.</summary>
    public static SyncStateMessage From(SyncState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new SyncStateMessage { Version = state.Version, Data = state.Canonical, Checksum = state.Checksum, UpdatedAt = state.UpdatedAt.ToUniversalTime() };
    }

    /// <summary>The runtime form: over the canonical bytes as read, claiming <see cref="Checksum"/> (verify it with <see cref="SyncState.Verify"/>).</summary>
    public SyncState ToSyncState() => new(CanonicalDataConverter.Array(Data), Checksum, Version, UpdatedAt.ToUniversalTime());
}

/// <summary>One pending change on the <c>changes</c> topic (QoS 1, in version order).</summary>
public sealed class ChangeMessage
{
    /// <summary>The node that made the change.</summary>
    public required string NodeId { get; init; }

    /// <summary>The local version the change produced; receivers apply each version once (ignore any version they already have).</summary>
    public required long Version { get; init; }

    /// <summary><c>update</c> (a full update) or <c>delta</c>.</summary>
    public required string Type { get; init; }

    /// <summary>True for a delta (top-level keys merged over the previous state).</summary>
    public required bool IsDelta { get; init; }

    /// <summary>The full state, or the changed top-level keys for a delta, as canonical JSON bytes.</summary>
    [JsonConverter(typeof(CanonicalDataConverter))]
    public required ReadOnlyMemory<byte> Data { get; init; }

    /// <summary>Reference-compatible MD5 of <see cref="Data"/> (the change itself).</summary>
    public required string Checksum { get; init; }

    /// <summary>When the change was made (UTC).</summary>
    public required DateTimeOffset Timestamp { get; init; }
}

/// <summary>The periodic heartbeat of a node.</summary>
public sealed class HeartbeatMessage
{
    /// <summary>Node id (equals the topic's node segment).</summary>
    public required string NodeId { get; init; }

    /// <summary>Display name.</summary>
    public string Name { get; init; } = "";

    /// <summary>Where the node is.</summary>
    public string Location { get; init; } = "";

    /// <summary>The node's own view of its status.</summary>
    public EdgeNodeStatus Status { get; init; } = EdgeNodeStatus.Online;

    /// <summary>What the node can do.</summary>
    public IReadOnlyList<string> Capabilities { get; init; } = [];

    /// <summary>How many functions are deployed.</summary>
    public int FunctionCount { get; init; }

    /// <summary>Ids of the deployed functions (kept for coordinators that read only ids).</summary>
    public IReadOnlyList<string> Functions { get; init; } = [];

    /// <summary>
    /// The deployed functions with their descriptors (memory, timeout, required capabilities), in the order of
    /// <see cref="Functions"/>; null from a node of an earlier release, which sends ids only.
    /// </summary>
    public IReadOnlyList<FunctionInfo>? Deployed { get; init; }

    /// <summary>Invocations running now.</summary>
    public int InFlight { get; init; }

    /// <summary>In-flight invocations per processor.</summary>
    public double Load { get; init; }

    /// <summary>Invocations since start.</summary>
    public long TotalInvocations { get; init; }

    /// <summary>The node's state version.</summary>
    public long LocalVersion { get; init; }

    /// <summary>The highest version the cloud/broker is known to have.</summary>
    public long RemoteVersion { get; init; }

    /// <summary>Changes not yet confirmed.</summary>
    public int Pending { get; init; }

    /// <summary>When the heartbeat was made (UTC).</summary>
    public DateTimeOffset Timestamp { get; init; }
}

/// <summary>The retained presence of a node on the <c>status</c> topic; the last will carries <c>offline</c>/<c>lost</c>.</summary>
public sealed class StatusMessage
{
    /// <summary>Node id.</summary>
    public required string NodeId { get; init; }

    /// <summary><c>online</c> or <c>offline</c>.</summary>
    public required EdgeNodeStatus Status { get; init; }

    /// <summary><c>connected</c>, <c>shutdown</c> (clean stop) or <c>lost</c> (last will).</summary>
    public string Reason { get; init; } = "";

    /// <summary>When it was published (for the last will: when the connection was made).</summary>
    public DateTimeOffset Timestamp { get; init; }
}

/// <summary>A deployment intent on a node's <c>deploy</c> topic.</summary>
public sealed class DeployIntent
{
    /// <summary>The function to deploy or remove (looked up in the node's catalog).</summary>
    public required string FunctionId { get; init; }

    /// <summary><c>deploy</c> or <c>undeploy</c>.</summary>
    public required string Action { get; init; }
}

/// <summary>What a node did with a deployment intent (<c>deploy/result</c> topic).</summary>
public sealed class DeployResult
{
    /// <summary>Node id.</summary>
    public required string NodeId { get; init; }

    /// <summary>The function.</summary>
    public required string FunctionId { get; init; }

    /// <summary>The requested action.</summary>
    public required string Action { get; init; }

    /// <summary>True when the node now is as asked.</summary>
    public required bool Applied { get; init; }

    /// <summary>Why not, or what happened.</summary>
    public string Detail { get; init; } = "";

    /// <summary>Functions deployed after the intent.</summary>
    public int FunctionCount { get; init; }

    /// <summary>When (UTC).</summary>
    public DateTimeOffset Timestamp { get; init; }
}

/// <summary>What a node did with a desired state (<c>desired/result</c> topic).</summary>
public sealed class DesiredResult
{
    /// <summary>Node id.</summary>
    public required string NodeId { get; init; }

    /// <summary>The desired state's version (for a rejected payload, its top-level <c>version</c> if readable, else 0).</summary>
    public required long Version { get; init; }

    /// <summary>True when applied through <c>ApplyRemote</c>.</summary>
    public required bool Applied { get; init; }

    /// <summary>
    /// The synchronizer's reason (applied or refused), or why the message was rejected before it: <c>Malformed desired
    /// state: …</c> (with the JSON path of invalid UTF-8, an unpaired surrogate escape, a duplicate key, nesting over the
    /// limit, or the parser's reason) or <c>Checksum does not match data.</c>
    /// </summary>
    public string Detail { get; init; } = "";

    /// <summary>The node's version afterwards.</summary>
    public long LocalVersion { get; init; }

    /// <summary>When (UTC).</summary>
    public DateTimeOffset Timestamp { get; init; }
}

/// <summary>Body of <c>POST /v1/cluster/deploy</c>.</summary>
public sealed class FleetDeployRequest
{
    /// <summary>The function.</summary>
    public required string FunctionId { get; init; }

    /// <summary><c>deploy</c> or <c>undeploy</c>.</summary>
    public required string Action { get; init; }

    /// <summary>One node; with <see cref="Capability"/> null too, every node not Offline.</summary>
    public string? NodeId { get; init; }

    /// <summary>Every node not Offline that has this capability.</summary>
    public string? Capability { get; init; }
}

/// <summary>Reply of the fleet endpoints: how many nodes a message was sent to, and which.</summary>
/// <param name="Sent">Count.</param>
/// <param name="Nodes">Their ids.</param>
public sealed record FleetSendResult(int Sent, IReadOnlyList<string> Nodes);


/// <summary>
/// State data on the wire as canonical JSON bytes: read by canonicalizing straight from the reader (no DOM; numbers keep
/// the int/float nature of their text, as a Python peer reads them), written raw, so the stored bytes a checksum covers
/// are the bytes sent. Data must be a JSON object.
/// </summary>
public sealed class CanonicalDataConverter : JsonConverter<ReadOnlyMemory<byte>>
{
    /// <inheritdoc />
    public override ReadOnlyMemory<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"data must be a JSON object, not {reader.TokenType}.");
        }

        try
        {
            return CanonicalJson.Canonicalize(ref reader);
        }
        catch (ArgumentException e)
        {
            throw new JsonException($"data: {e.Message}", e);
        }
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, ReadOnlyMemory<byte> value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteRawValue(value.Span, skipInputValidation: true);
    }

    /// <summary>The bytes as an array, without a copy when they are one whole array (as read, or a state's own).</summary>
    internal static byte[] Array(ReadOnlyMemory<byte> bytes) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(bytes, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : bytes.ToArray();
}

/// <summary>Node status on the wire in lowercase (<c>online</c>, <c>offline</c>, …) as the HTTP API writes it; reads any case.</summary>
public sealed class NodeStatusJsonConverter() : JsonStringEnumConverter<EdgeNodeStatus>(JsonNamingPolicy.CamelCase, allowIntegerValues: false);

/// <summary>Source-generated JSON metadata for every MQTT and fleet payload (no reflection).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    Converters = [typeof(NodeStatusJsonConverter)],
    RespectNullableAnnotations = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.Strict,
    // Envelopes around state data (retained state, changes, desired states) must carry whatever the node accepted:
    // data up to JsonLimits.MaxDepth plus the envelope's levels. Inbound depth is the node's limit, checked by JsonInput.
    MaxDepth = JsonLimits.SerializerDepth)]
[JsonSerializable(typeof(SyncStateMessage))]
[JsonSerializable(typeof(ChangeMessage))]
[JsonSerializable(typeof(HeartbeatMessage))]
[JsonSerializable(typeof(StatusMessage))]
[JsonSerializable(typeof(DeployIntent))]
[JsonSerializable(typeof(DeployResult))]
[JsonSerializable(typeof(DesiredResult))]
[JsonSerializable(typeof(FleetDeployRequest))]
[JsonSerializable(typeof(FleetSendResult))]
public sealed partial class MqttJsonContext : JsonSerializerContext;

/// <summary>Serialize/parse helpers over <see cref="MqttJsonContext"/>.</summary>
internal static class MqttJson
{
    public static byte[] Serialize<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info) =>
        JsonSerializer.SerializeToUtf8Bytes(value, info);

    /// <summary>
    /// Validates <paramref name="utf8"/> with <see cref="JsonInput.TryValidate"/> (well-formed, valid UTF-8, no unpaired
    /// surrogate escapes, no duplicate keys, at most <paramref name="maxDepth"/> levels), then parses it; null with the
    /// reason (JsonInput's problem with its JSON path, or the parser's) when either refuses.
    /// </summary>
    public static T? TryRead<T>(ReadOnlySpan<byte> utf8, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info, int maxDepth, out string error)
        where T : class
    {
        if (!JsonInput.TryValidate(utf8, maxDepth, out var problem))
        {
            error = problem;
            return null;
        }

        return TryParse(utf8, info, out error);
    }

    /// <summary>
    /// The top-level <c>version</c> of a payload that did not pass validation, if one can be read before the problem
    /// (invalid text inside strings, duplicate keys and depth leave the tokens readable); 0 otherwise.
    /// </summary>
    public static long PeekVersion(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = JsonLimits.SerializerDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return 0;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isVersion = reader.ValueTextEquals("version"u8);
                if (!reader.Read())
                {
                    return 0;
                }

                if (isVersion)
                {
                    return reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var version) ? version : 0;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }
        catch (InvalidOperationException)
        {
        }

        return 0;
    }

    /// <summary>Parses <paramref name="utf8"/>, or returns null with the reason: bad JSON, wrong types or missing members.</summary>
    public static T? TryParse<T>(ReadOnlySpan<byte> utf8, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info, out string error)
        where T : class
    {
        try
        {
            var value = JsonSerializer.Deserialize(utf8, info);
            error = value is null ? "payload is JSON null" : "";
            return value;
        }
        catch (JsonException ex)
        {
            error = ex.Message;
            return null;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            error = ex.Message;
            return null;
        }
    }
}
