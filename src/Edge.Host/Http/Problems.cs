using System.Text.Json;
using Edge.Runtime;
using Microsoft.AspNetCore.Http;

namespace Edge.Host.Http;

/// <summary>Maps failures to <c>application/problem+json</c> replies with a useful detail and never a stack trace.</summary>
internal static class Problems
{
    public static Task Write(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        var body = new ProblemBody($"https://httpstatuses.io/{status}", title, status, detail, context.Request.Path);
        return JsonSerializer.SerializeAsync(context.Response.Body, body, ApiJsonContext.Default.ProblemBody, context.RequestAborted);
    }

    public static Task BadRequest(HttpContext context, string detail) => Write(context, StatusCodes.Status400BadRequest, "Bad request", detail);

    public static Task NotFound(HttpContext context, string detail) => Write(context, StatusCodes.Status404NotFound, "Not found", detail);

    /// <summary>The reply for an exception from invoking a function.</summary>
    public static Task ForInvocation(HttpContext context, Exception error) => error switch
    {
        EdgeFunctionNotFoundException e => NotFound(context, e.Message),
        EdgeBindingException e => BadRequest(context, e.Message),
        JsonException e => BadRequest(context, "Malformed JSON arguments: " + e.Message),
        EdgeTimeoutException e => Write(context, StatusCodes.Status504GatewayTimeout, "Function timed out", e.Message),
        EdgeExecutionException e => Write(context, StatusCodes.Status500InternalServerError, "Function failed", e.Message),
        _ => Write(context, StatusCodes.Status500InternalServerError, "Invocation failed", error.Message),
    };
}
