namespace Edge.Generators.Model;

/// <summary>What the caller gets back, task types unwrapped.</summary>
internal enum ReturnShape
{
    Value,
    Void,
    Task,
    ValueTask,
    TaskOfT,
    ValueTaskOfT,
}

/// <summary>One JSON-bound parameter.</summary>
/// <param name="Name">The parameter name, which is the JSON key.</param>
/// <param name="DeclaredType">The declared type with <c>global::</c> names and nullable annotations (for the delegate type).</param>
/// <param name="DisplayType">The type as shown in the descriptor.</param>
/// <param name="Json">How it binds.</param>
/// <param name="DefaultValue">A C# expression for the default value, or null when the parameter is required.</param>
internal sealed record ParameterSpec(string Name, string DeclaredType, string DisplayType, JsonTypeSpec Json, string? DefaultValue);

/// <summary>
/// One [EdgeFunction] method as plain values (<c>HandleResultType</c>: the result type a resolved handle returns, task
/// types unwrapped, <c>object?</c> for a void function). Never holds a symbol, syntax node, location or compilation: it is
/// compared between generator runs to decide what is cached.
/// </summary>
internal sealed record FunctionSpec(
    string Id,
    string Name,
    int MemoryMb,
    int TimeoutSeconds,
    EquatableArray<string> RequiredCapabilities,
    string ContainingType,
    string MethodName,
    string MethodDisplay,
    EquatableArray<ParameterSpec> Parameters,
    bool AcceptsCancellation,
    ReturnShape ReturnShape,
    string DeclaredReturnType,
    string HandleResultType,
    string ResultDisplayType,
    JsonTypeSpec? Result,
    string? JsonContext,
    LocationInfo? IdLocation,
    string SortKey)
{
    /// <summary>The name of its strongly named accessor (<c>EdgeFunctionTable.Handles</c>), or null when it has none.</summary>
    public string? Accessor { get; init; }
}

/// <summary>The parse result of one attributed method: a function when it is usable, and what was wrong.</summary>
internal sealed record FunctionParseResult(FunctionSpec? Function, EquatableArray<DiagnosticInfo> Diagnostics);

/// <summary>Assembly-level facts the emitter needs.</summary>
internal sealed record AssemblySpec(string RootNamespace, bool ReferencesRuntime);

/// <summary>Everything the emitter writes for one assembly.</summary>
internal sealed record TableSpec(
    AssemblySpec Assembly,
    EquatableArray<FunctionSpec> Functions,
    string? JsonContext,
    EquatableArray<DiagnosticInfo> Diagnostics);
