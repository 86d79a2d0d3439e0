using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Edge.Host.Http;

/// <summary>
/// DNS rebinding: a page served under a hostile name that resolves to 127.0.0.1 must not reach a loopback-only node,
/// so such a node answers only loopback host names (localhost, *.localhost, 127.0.0.0/8, [::1]).
/// </summary>
/// <remarks>
/// Not ASP.NET Core's HostFiltering: its refusal is a 400 with <c>Content-Length: 0</c> that cannot carry the
/// problem+json every error of this API has, and its host list cannot say "any 127.x address".
/// </remarks>
internal static class LoopbackHostCheck
{
    public static IApplicationBuilder UseLoopbackHostCheck(this IApplicationBuilder app) => app.Use((context, next) =>
        IsLoopbackName(context.Request.Host.Host)
            ? next(context)
            : Problems.BadRequest(
                $"The Host header '{context.Request.Host}' is not allowed: this node listens on loopback only, so only loopback names (localhost, 127.0.0.1, [::1]) may be used.").ExecuteAsync(context));

    /// <summary>True for localhost, its subdomains and loopback IP literals; an absent Host (HTTP/1.0) is allowed.</summary>
    public static bool IsLoopbackName(string host) =>
        host.Length == 0
        || host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
