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

    /// <summary>
    /// The body of a 4xx the framework answers without one (no route, wrong method): problem+json with our own
    /// English detail, like every other error of the API.
    /// </summary>
    public static Task ForBodylessStatus(HttpContext context)
    {
        var request = context.Request;
        var allow = context.Response.Headers.Allow.ToString();
        return context.Response.StatusCode switch
        {
            StatusCodes.Status404NotFound => Write(context, 404, "Not found", $"No resource at '{request.Path}'."),
            StatusCodes.Status405MethodNotAllowed => Write(
                context,
                405,
                "Method not allowed",
                allow.Length > 0 ? $"{request.Method} is not allowed on '{request.Path}'; allowed: {allow}." : $"{request.Method} is not allowed on '{request.Path}'."),
            var status => Write(context, status, "Request refused", $"The request was refused with status {status}."),
        };
    }

    public static Task BadRequest(HttpContext context, string detail) => Write(context, StatusCodes.Status400BadRequest, "Bad request", detail);

    public static Task NotFound(HttpContext context, string detail) => Write(context, StatusCodes.Status404NotFound, "Not found", detail);

    public static Task Conflict(HttpContext context, string detail) => Write(context, StatusCodes.Status409Conflict, "Conflict", detail);

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
