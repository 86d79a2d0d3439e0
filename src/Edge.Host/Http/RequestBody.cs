using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Edge.Runtime;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Edge.Host.Http;

/// <summary>
/// A request body as the node's one validating reader leaves it: its bytes within the size limit, or the problem to
/// answer (413). Handlers take it as a parameter; the Request Delegate Generator binds it through <see cref="BindAsync"/>,
/// so no route uses the framework's own body binding (its bare 400s, its limit that counts chunk framing).
/// </summary>
internal sealed class JsonBody(ReadOnlyMemory<byte> bytes, ProblemHttpResult? problem)
{
    public ReadOnlyMemory<byte> Bytes { get; } = bytes;

    /// <summary>Set when the body could not be read within the limits; the handler returns it.</summary>
    public ProblemHttpResult? Problem { get; } = problem;

    /// <summary>Reads the body with the <see cref="RequestBody"/> the endpoint carries as metadata (the node's limits; no per-request service lookup).</summary>
    public static ValueTask<JsonBody?> BindAsync(HttpContext context)
    {
        var reader = context.GetEndpoint()?.Metadata.GetMetadata<RequestBody>()
            ?? throw new InvalidOperationException("A JsonBody endpoint must carry the node's RequestBody as metadata (map it on the node's /v1 group).");
        return new ValueTask<JsonBody?>(reader.ReadAsync(context)); // the reader's own task: no second state machine per request
    }
}

/// <summary>Reads request bodies within the node's size and depth limits, turning violations into 413 and 400 problems.</summary>
internal sealed class RequestBody(long maxBytes, int maxDepth)
{
    public long MaxBytes { get; } = maxBytes;

    public int MaxDepth { get; } = maxDepth;

    /// <summary>The whole body, or a 413 problem. Body bytes are counted, never chunk framing.</summary>
    public async Task<JsonBody?> ReadAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBytes)
        {
            return TooLarge(context);
        }

        // Kestrel's own limit counts a chunked body's framing too, so a body of exactly MaxBytes would fail when
        // chunked: this reader counts the bytes itself (below) and lifts the server's limit for this request only.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }

        var buffer = new ArrayBufferWriter<byte>((int)Math.Min(context.Request.ContentLength ?? 4096, MaxBytes) + 1);
        try
        {
            while (true)
            {
                var read = await context.Request.Body.ReadAsync(buffer.GetMemory(4096), context.RequestAborted).ConfigureAwait(false);
                if (read == 0)
                {
                    return new JsonBody(buffer.WrittenMemory, null);
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > MaxBytes)
                {
                    return TooLarge(context);
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TooLarge(context);
        }
    }

    /// <summary>
    /// Null when <paramref name="body"/> is JSON the node can take whole (well-formed, valid UTF-8 without unpaired
    /// surrogates, no duplicate keys, within the depth limit), else the problem with its JSON path.
    /// </summary>
    public string? Validate(ReadOnlySpan<byte> body) => JsonInput.TryValidate(body, MaxDepth, out var problem) ? null : problem;

    /// <summary>Null when <paramref name="body"/> was read and is a valid JSON object (its bytes, not parsed), else the 413/400 problem.</summary>
    public ProblemHttpResult? CheckObject(JsonBody body)
    {
        if (body.Problem is { } tooLarge)
        {
            return tooLarge;
        }

        if (Validate(body.Bytes.Span) is { } problem)
        {
            return Problems.BadRequest(problem);
        }

        var reader = new Utf8JsonReader(body.Bytes.Span);
        reader.Read();
        return reader.TokenType == JsonTokenType.StartObject ? null : Problems.BadRequest($"Expected a JSON object, got {CanonicalJson.Describe(reader.TokenType)}.");
    }

    /// <summary>Deserializes <paramref name="body"/> with a source-generated type, or returns the 413/400 problem.</summary>
    public ProblemHttpResult? TryDeserialize<T>(JsonBody body, JsonTypeInfo<T> type, out T value)
        where T : class
    {
        value = null!;
        return body.Problem ?? TryDeserialize(body.Bytes.Span, type, out value);
    }

    /// <summary>Deserializes <paramref name="body"/> with a source-generated type, or returns the 400 problem.</summary>
    public ProblemHttpResult? TryDeserialize<T>(ReadOnlySpan<byte> body, JsonTypeInfo<T> type, out T value)
        where T : class
    {
        value = null!;

        // A typed body is an envelope (a SyncState around its data, a node around its metadata): one level more, so
        // data at the limit is accepted here as it is by PUT /v1/state and on MQTT.
        if (!JsonInput.TryValidate(body, MaxDepth + 1, out var problem))
        {
            return Problems.BadRequest(problem);
        }

        try
        {
            if (JsonSerializer.Deserialize(body, type) is { } parsed)
            {
                value = parsed;
                return null;
            }
        }
        catch (JsonException e)
        {
            return Problems.BadRequest($"Invalid {typeof(T).Name}: {e.Message}");
        }

        return Problems.BadRequest($"Expected a JSON object for {typeof(T).Name}.");
    }

    private JsonBody TooLarge(HttpContext context)
    {
        // The unread rest of the body makes the connection unusable: tell the client not to send its next request on it.
        context.Response.Headers.Connection = "close";
        return new JsonBody(default, Problems.Of(StatusCodes.Status413PayloadTooLarge, "Body too large", $"The request body is larger than the limit of {MaxBytes} bytes."));
    }
}
