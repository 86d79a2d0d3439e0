using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace Edge.Host.Http;

/// <summary>
/// Marks an endpoint as part of the node's <c>/v1</c> API. The rules are enforced after routing on the endpoint that
/// was chosen, never on path strings, so no spelling of a path (case, percent-encoding, dot segments, doubled or
/// trailing slashes) reaches one without them.
/// </summary>
public sealed class NodeApiEndpoint
{
    private NodeApiEndpoint()
    {
    }

    /// <summary>The one instance carried as metadata.</summary>
    public static NodeApiEndpoint Metadata { get; } = new();
}

/// <summary>The post-routing check of <see cref="NodeApiEndpoint"/>s: the bearer token (when configured) and JSON bodies.</summary>
internal static class NodeApiGuard
{
    /// <summary>Puts the node API's rules on every endpoint of <paramref name="group"/>.</summary>
    public static RouteGroupBuilder AsNodeApi(this RouteGroupBuilder group) => group.WithMetadata(NodeApiEndpoint.Metadata);

    /// <summary>Adds the check; it must run after routing (WebApplication routes first unless told otherwise).</summary>
    public static IApplicationBuilder UseNodeApiGuard(this IApplicationBuilder app, string? token)
    {
        var expected = token is null ? null : Encoding.UTF8.GetBytes(token);
        return app.Use((context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<NodeApiEndpoint>() is null)
            {
                return next(context);
            }

            if (expected is not null && !HasToken(context.Request.Headers.Authorization, expected))
            {
                context.Response.Headers.WWWAuthenticate = "Bearer";
                return Problems.Write(context, StatusCodes.Status401Unauthorized, "Unauthorized", "This node requires 'Authorization: Bearer <token>' on /v1.");
            }

            if (CarriesBody(context) && !IsJson(context.Request.ContentType))
            {
                return Problems.Write(
                    context,
                    StatusCodes.Status415UnsupportedMediaType,
                    "Unsupported media type",
                    $"Request bodies on /v1 must be JSON: send 'Content-Type: application/json' (got '{context.Request.ContentType ?? "none"}').");
            }

            return next(context);
        });
    }

    /// <summary>Bearer credentials (the scheme name is case-insensitive, RFC 9110 §11.1), compared in constant time.</summary>
    private static bool HasToken(StringValues authorization, byte[] expected)
    {
        if (authorization.Count != 1 || authorization[0] is not { } value)
        {
            return false;
        }

        const string scheme = "Bearer";
        var text = value.AsSpan();
        if (text.Length <= scheme.Length || !text[..scheme.Length].Equals(scheme, StringComparison.OrdinalIgnoreCase) || text[scheme.Length] != ' ')
        {
            return false;
        }

        var presented = text[(scheme.Length + 1)..].Trim(' ');
        Span<byte> buffer = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetMaxByteCount(presented.Length) <= buffer.Length ? buffer : new byte[Encoding.UTF8.GetMaxByteCount(presented.Length)];
        var length = Encoding.UTF8.GetBytes(presented, bytes);
        return CryptographicOperations.FixedTimeEquals(bytes[..length], expected);
    }

    /// <summary>A request with a body: a non-zero Content-Length or chunked framing. A bare POST or DELETE needs no type.</summary>
    private static bool CarriesBody(HttpContext context) =>
        context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody ?? context.Request.ContentLength > 0;

    /// <summary><c>application/json</c> or any <c>+json</c> type, in UTF-8 when a charset is named.</summary>
    private static bool IsJson(string? contentType)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var type))
        {
            return false;
        }

        var json = type.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase) || type.Suffix.Equals("json", StringComparison.OrdinalIgnoreCase);
        return json && (!type.Charset.HasValue || type.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));
    }
}
