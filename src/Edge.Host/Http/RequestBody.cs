using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Edge.Runtime;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Edge.Host.Http;

/// <summary>Reads request bodies within the size and depth limits, turning violations into 413 and 400 replies.</summary>
internal sealed class RequestBody(long maxBytes, int maxDepth)
{
    public long MaxBytes { get; } = maxBytes;

    public int MaxDepth { get; } = maxDepth;

    /// <summary>The whole body, or null after replying 413 (too large). Body bytes are counted, never chunk framing.</summary>
    public async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBytes)
        {
            await TooLarge(context);
            return null;
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
                var read = await context.Request.Body.ReadAsync(buffer.GetMemory(4096), context.RequestAborted);
                if (read == 0)
                {
                    return buffer.WrittenMemory;
                }

                buffer.Advance(read);
                if (buffer.WrittenCount > MaxBytes)
                {
                    await TooLarge(context);
                    return null;
                }
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await TooLarge(context);
            return null;
        }
    }

    /// <summary>
    /// Null when <paramref name="body"/> is JSON the node can take whole (well-formed, valid UTF-8 without unpaired
    /// surrogates, no duplicate keys, within the depth limit), else the problem with its JSON path.
    /// </summary>
    public string? Validate(ReadOnlySpan<byte> body) => JsonInput.TryValidate(body, MaxDepth, out var problem) ? null : problem;

    /// <summary>A validated JSON object body (its bytes, not parsed), or null after replying 400/413.</summary>
    public async Task<ReadOnlyMemory<byte>?> ReadObjectAsync(HttpContext context)
    {
        if (await ReadAsync(context) is not { } body)
        {
            return null;
        }

        if (Validate(body.Span) is { } problem)
        {
            await Problems.BadRequest(context, problem);
            return null;
        }

        var kind = FirstToken(body.Span);
        if (kind == JsonTokenType.StartObject)
        {
            return body;
        }

        await Problems.BadRequest(context, $"Expected a JSON object, got {CanonicalJson.Describe(kind)}.");
        return null;
    }

    private static JsonTokenType FirstToken(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        return reader.TokenType;
    }

    /// <summary>Deserializes a body with a source-generated type, or replies 400/413 and returns null.</summary>
    public async Task<T?> ReadAsync<T>(HttpContext context, JsonTypeInfo<T> type)
        where T : class =>
        await ReadAsync(context) is { } body ? await DeserializeAsync(context, body, type) : null;

    /// <summary>Deserializes <paramref name="body"/>, or replies 400 and returns null.</summary>
    public async Task<T?> DeserializeAsync<T>(HttpContext context, ReadOnlyMemory<byte> body, JsonTypeInfo<T> type)
        where T : class
    {
        // A typed body is an envelope (a SyncState around its data, a node around its metadata): one level more, so
        // data at the limit is accepted here as it is by PUT /v1/state and on MQTT.
        if (!JsonInput.TryValidate(body.Span, MaxDepth + 1, out var problem))
        {
            await Problems.BadRequest(context, problem);
            return null;
        }

        try
        {
            if (JsonSerializer.Deserialize(body.Span, type) is { } value)
            {
                return value;
            }
        }
        catch (JsonException e)
        {
            await Problems.BadRequest(context, $"Invalid {typeof(T).Name}: {e.Message}");
            return null;
        }

        await Problems.BadRequest(context, $"Expected a JSON object for {typeof(T).Name}.");
        return null;
    }

    private Task TooLarge(HttpContext context)
    {
        // The unread rest of the body makes the connection unusable: tell the client not to send its next request on it.
        context.Response.Headers.Connection = "close";
        return Problems.Write(context, StatusCodes.Status413PayloadTooLarge, "Body too large", $"The request body is larger than the limit of {MaxBytes} bytes.");
    }
}
