using Microsoft.CodeAnalysis;

namespace Edge.Generators;

/// <summary>The build errors of the [EdgeFunction] generator. Ids are tracked in AnalyzerReleases.*.md.</summary>
internal static class DiagnosticDescriptors
{
    private const string Category = "Edge.Generators";

    public static readonly DiagnosticDescriptor DuplicateId = Error(
        "EDGE001",
        "Duplicate edge function id",
        "Edge function id '{0}' is already used by {1}; ids must be unique within an assembly");

    public static readonly DiagnosticDescriptor NotStatic = Error(
        "EDGE002",
        "Edge function must be static",
        "Edge function method '{0}' must be static");

    public static readonly DiagnosticDescriptor NotAccessible = Error(
        "EDGE003",
        "Edge function is not accessible",
        "Edge function method '{0}' is not accessible from the generated EdgeFunctionTable: {1}");

    public static readonly DiagnosticDescriptor Generic = Error(
        "EDGE004",
        "Edge function must not be generic",
        "Edge function method '{0}' must not be generic or declared in a generic type");

    public static readonly DiagnosticDescriptor ByRefParameter = Error(
        "EDGE005",
        "Unsupported parameter modifier",
        "Parameter '{0}' of edge function '{1}' is {2}; edge function parameters are passed by value");

    public static readonly DiagnosticDescriptor UnsupportedParameterType = Error(
        "EDGE006",
        "Unsupported parameter type",
        "Parameter '{0}' of edge function '{1}' has type '{2}', which cannot be bound from JSON: {3}");

    public static readonly DiagnosticDescriptor UnsupportedReturnType = Error(
        "EDGE007",
        "Unsupported return type",
        "Edge function '{0}' returns '{1}', which cannot be written as JSON: {2}");

    public static readonly DiagnosticDescriptor MemoryOutOfRange = Error(
        "EDGE008",
        "MemoryMb out of range",
        "MemoryMb of edge function '{0}' is {1}; it must be between 1 and 65536");

    public static readonly DiagnosticDescriptor TimeoutOutOfRange = Error(
        "EDGE009",
        "TimeoutSeconds out of range",
        "TimeoutSeconds of edge function '{0}' is {1}; it must be between 1 and 3600");

    public static readonly DiagnosticDescriptor InvalidId = Error(
        "EDGE010",
        "Invalid edge function id",
        "Edge function id '{0}' is invalid: it must start with a letter or digit and contain only letters, digits, '.', '_' and '-' (at most 64 characters)");

    public static readonly DiagnosticDescriptor UnsupportedSignature = Error(
        "EDGE011",
        "Unsupported edge function signature",
        "Edge function '{0}' has an unsupported signature: {1}");

    public static readonly DiagnosticDescriptor AccessorNameCollision = Error(
        "EDGE012",
        "Edge function accessor name collision",
        "Edge function id '{0}' gives the accessor name '{1}', which is already {2}; choose an id that differs in more than punctuation");

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}
