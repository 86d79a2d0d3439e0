using System.Text.Json;
using Edge.Runtime;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.Host.Http;

/// <summary>
/// Every error of the API as <c>application/problem+json</c> with an English detail of ours and never a stack trace:
/// handlers return these results, middleware executes them, and ASP.NET Core's problem-details service writes them all.
/// </summary>
internal static class Problems
{
    public static ProblemHttpResult Of(int status, string title, string detail) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: $"https://httpstatuses.io/{status}");

    public static ProblemHttpResult BadRequest(string detail) => Of(StatusCodes.Status400BadRequest, "Bad request", detail);

    public static ProblemHttpResult NotFound(string detail) => Of(StatusCodes.Status404NotFound, "Not found", detail);

    public static ProblemHttpResult Conflict(string detail) => Of(StatusCodes.Status409Conflict, "Conflict", detail);

    /// <summary>Writes a problem from middleware (outside an endpoint).</summary>
    public static Task Write(HttpContext context, int status, string title, string detail) => Of(status, title, detail).ExecuteAsync(context);

    /// <summary>
    /// The node's problem details: the request path as <c>instance</c>, and for a 4xx/5xx the framework answers without
    /// a body (no route, wrong method) the same type, title and English detail as every other error of the API.
    /// </summary>
    public static IServiceCollection AddNodeProblemDetails(this IServiceCollection services) => services.AddProblemDetails(o => o.CustomizeProblemDetails = c =>
    {
        var problem = c.ProblemDetails;
        problem.Instance ??= c.HttpContext.Request.Path;
        if (problem.Detail is not null)
        {
            return;
        }

        var request = c.HttpContext.Request;
        var allow = c.HttpContext.Response.Headers.Allow.ToString();
        var status = problem.Status ?? c.HttpContext.Response.StatusCode;
        (problem.Title, problem.Detail) = status switch
        {
            StatusCodes.Status404NotFound => ("Not found", $"No resource at '{request.Path}'."),
            StatusCodes.Status405MethodNotAllowed => ("Method not allowed", allow.Length > 0
                ? $"{request.Method} is not allowed on '{request.Path}'; allowed: {allow}."
                : $"{request.Method} is not allowed on '{request.Path}'."),
            _ => ("Request refused", $"The request was refused with status {status}."),
        };
        problem.Type = $"https://httpstatuses.io/{status}";
    });

    /// <summary>The reply for an exception from invoking a function.</summary>
    public static ProblemHttpResult ForInvocation(Exception error) => error switch
    {
        EdgeFunctionNotFoundException e => NotFound(e.Message),
        EdgeBindingException e => BadRequest(e.Message),
        JsonException e => BadRequest("Malformed JSON arguments: " + e.Message),
        EdgeTimeoutException e => Of(StatusCodes.Status504GatewayTimeout, "Function timed out", e.Message),
        EdgeExecutionException e => Of(StatusCodes.Status500InternalServerError, "Function failed", e.Message),
        _ => Of(StatusCodes.Status500InternalServerError, "Invocation failed", error.Message),
    };
}
