namespace Edge.Runtime;

/// <summary>A function failed; <see cref="Exception.InnerException"/> is what it threw.</summary>
public class EdgeExecutionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EdgeExecutionException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public EdgeExecutionException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public EdgeExecutionException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a failure of <paramref name="functionId"/>.</summary>
    public EdgeExecutionException(string functionId, string message, Exception innerException)
        : base(message, innerException)
    {
        FunctionId = functionId;
    }

    internal static EdgeExecutionException For(string functionId, Exception innerException) =>
        new(functionId, $"Function '{functionId}' failed: {innerException.Message}", innerException);

    /// <summary>The function that failed.</summary>
    public string FunctionId { get; } = "";
}

/// <summary>No function with the id is deployed. Message: <c>Function not found: {id}</c>.</summary>
public sealed class EdgeFunctionNotFoundException(string functionId)
    : ArgumentException($"Function not found: {functionId}")
{
    /// <summary>The id asked for.</summary>
    public string FunctionId { get; } = functionId;
}

/// <summary>A function ran past its deadline; recorded as a failed invocation.</summary>
public sealed class EdgeTimeoutException(string functionId, TimeSpan timeout)
    : TimeoutException($"Function '{functionId}' exceeded its timeout of {timeout.TotalSeconds:0.###} s.")
{
    /// <summary>The function.</summary>
    public string FunctionId { get; } = functionId;

    /// <summary>Its deadline.</summary>
    public TimeSpan Timeout { get; } = timeout;
}

/// <summary>
/// The arguments do not fit a function's parameters: thrown by the JSON binder, and by a handler that refuses an
/// argument's value (e.g. a factor below 1). The runtime passes it on unwrapped on every path (not as an
/// <see cref="EdgeExecutionException"/>), and the host answers it with 400.
/// </summary>
public sealed class EdgeBindingException(string functionId, string? parameter, string problem, Exception? innerException = null)
    : ArgumentException(
        parameter is null
            ? $"Function '{functionId}': {problem}"
            : $"Function '{functionId}', parameter '{parameter}': {problem}",
        innerException)
{
    /// <summary>The function.</summary>
    public string FunctionId { get; } = functionId;

    /// <summary>The parameter at fault, when one is.</summary>
    public string? Parameter { get; } = parameter;

    /// <summary>What is wrong.</summary>
    public string Problem { get; } = problem;
}
