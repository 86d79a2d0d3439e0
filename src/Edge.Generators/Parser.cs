using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Threading;
using Edge.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Edge.Generators;

/// <summary>Reads [EdgeFunction] methods into value models; never lets a symbol or syntax node escape.</summary>
internal static class Parser
{
    public const string EdgeFunctionAttribute = "Edge.Runtime.EdgeFunctionAttribute";
    public const string EdgeJsonContextAttribute = "Edge.Runtime.EdgeJsonContextAttribute";
    private const string JsonSerializableAttribute = "System.Text.Json.Serialization.JsonSerializableAttribute";
    private const string JsonSerializerContext = "System.Text.Json.Serialization.JsonSerializerContext";
    private const int MaxIdLength = 64;
    private const int MaxDelegateParameters = 16;

    private static readonly SymbolDisplayFormat DeclaredFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat;

    private static readonly SymbolDisplayFormat DisplayFormat = SymbolDisplayFormat.FullyQualifiedFormat
        .WithGlobalNamespaceStyle(SymbolDisplayGlobalNamespaceStyle.Omitted)
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    public static bool IsCandidate(SyntaxNode node) => node is MethodDeclarationSyntax or LocalFunctionStatementSyntax;

    public static AssemblySpec ParseAssembly(Compilation compilation, AnalyzerConfigOptions options)
    {
        var root = options.TryGetValue("build_property.RootNamespace", out var value) && !string.IsNullOrWhiteSpace(value)
            ? value.Trim()
            : compilation.AssemblyName ?? "";
        return new AssemblySpec(ToNamespace(root), compilation.GetTypeByMetadataName("Edge.Runtime.EdgeRuntime") is not null);
    }

    /// <summary>A valid C# namespace from a root namespace or assembly name such as <c>edge-host</c>.</summary>
    internal static string ToNamespace(string name)
    {
        var parts = new List<string>();
        foreach (var raw in name.Split('.'))
        {
            var part = new StringBuilder();
            foreach (var c in raw)
            {
                part.Append(char.IsLetterOrDigit(c) || c == '_' ? c : '_');
            }

            if (part.Length == 0)
            {
                continue;
            }

            if (char.IsDigit(part[0]))
            {
                part.Insert(0, '_');
            }

            var text = part.ToString();
            parts.Add(SyntaxFacts.GetKeywordKind(text) != SyntaxKind.None ? "@" + text : text);
        }

        return parts.Count == 0 ? "EdgeFunctions" : string.Join(".", parts);
    }

    public static FunctionParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        if (context.TargetSymbol is not IMethodSymbol method || context.Attributes.IsEmpty)
        {
            return new FunctionParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
        }

        var attribute = context.Attributes[0];
        var attributeSyntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var methodName = method.ContainingType is null ? method.Name : method.ContainingType.Name + "." + method.Name;
        var nameLocation = context.TargetNode switch
        {
            MethodDeclarationSyntax m => LocationInfo.From(m.Identifier.GetLocation()),
            LocalFunctionStatementSyntax l => LocationInfo.From(l.Identifier.GetLocation()),
            _ => LocationInfo.From(context.TargetNode),
        };

        if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Value is not string id)
        {
            // The compiler reports a malformed attribute itself.
            return new FunctionParseResult(null, EquatableArray<DiagnosticInfo>.Empty);
        }

        var idLocation = LocationInfo.From(attributeSyntax?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals is null)?.Expression)
            ?? LocationInfo.From(attributeSyntax);
        if (!IsValidId(id))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InvalidId, idLocation, id));
        }

        string? displayName = null;
        var memoryMb = 128;
        var timeoutSeconds = 30;
        var capabilities = ImmutableArray<string>.Empty;
        foreach (var named in attribute.NamedArguments)
        {
            switch (named.Key)
            {
                case "Name":
                    displayName = named.Value.Value as string;
                    break;
                case "MemoryMb" when named.Value.Value is int memory:
                    memoryMb = memory;
                    if (memory is < 1 or > 65536)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(
                            DiagnosticDescriptors.MemoryOutOfRange, NamedArgumentLocation(attributeSyntax, named.Key), id, memory.ToString(CultureInfo.InvariantCulture)));
                    }

                    break;
                case "TimeoutSeconds" when named.Value.Value is int timeout:
                    timeoutSeconds = timeout;
                    if (timeout is < 1 or > 3600)
                    {
                        diagnostics.Add(DiagnosticInfo.Create(
                            DiagnosticDescriptors.TimeoutOutOfRange, NamedArgumentLocation(attributeSyntax, named.Key), id, timeout.ToString(CultureInfo.InvariantCulture)));
                    }

                    break;
                case "RequiredCapabilities" when named.Value.Kind == TypedConstantKind.Array && !named.Value.IsNull:
                    capabilities = named.Value.Values.Select(v => v.Value as string).Where(v => v is not null).Select(v => v!).ToImmutableArray();
                    break;
            }
        }

        if (method.MethodKind == MethodKind.LocalFunction)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotAccessible, nameLocation, method.Name, "it is a local function"));
            return new FunctionParseResult(null, diagnostics.ToEquatableArray());
        }

        if (!method.IsStatic)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotStatic, nameLocation, methodName));
        }

        if (InaccessibleBecause(method) is { } reason)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NotAccessible, nameLocation, methodName, reason));
        }

        if (method.IsGenericMethod || ContainingTypes(method).Any(t => t.IsGenericType))
        {
            // Type parameters would also fail JSON binding; one diagnostic says what to fix.
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.Generic, nameLocation, methodName));
            return new FunctionParseResult(null, diagnostics.ToEquatableArray());
        }

        var jsonContext = FindJsonContext(context.SemanticModel.Compilation);
        var parameters = new List<ParameterSpec>();
        var acceptsCancellation = false;
        var methodSyntax = context.TargetNode as MethodDeclarationSyntax;
        for (var i = 0; i < method.Parameters.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var parameter = method.Parameters[i];
            var parameterSyntax = parameter.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken) as ParameterSyntax;
            var parameterLocation = LocationInfo.From(parameterSyntax) ?? nameLocation;
            var typeLocation = LocationInfo.From(parameterSyntax?.Type) ?? parameterLocation;

            if (ModifierProblem(parameter) is { } modifier)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.ByRefParameter, parameterLocation, parameter.Name, methodName, modifier));
                continue;
            }

            if (IsCancellationToken(parameter.Type))
            {
                if (i != method.Parameters.Length - 1)
                {
                    diagnostics.Add(DiagnosticInfo.Create(
                        DiagnosticDescriptors.UnsupportedSignature, parameterLocation, methodName, "a CancellationToken parameter must be the last parameter"));
                }

                acceptsCancellation = true;
                continue;
            }

            if (parameter.Type.TypeKind == TypeKind.Error)
            {
                continue;
            }

            var json = Classify(parameter.Type, jsonContext, isResult: false, out var problem);
            if (json is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.UnsupportedParameterType, typeLocation, parameter.Name, methodName, parameter.Type.ToDisplayString(DisplayFormat), problem!));
                continue;
            }

            parameters.Add(new ParameterSpec(
                parameter.Name,
                parameter.Type.ToDisplayString(DeclaredFormat),
                parameter.Type.ToDisplayString(DisplayFormat),
                json,
                parameter.HasExplicitDefaultValue ? DefaultLiteral(parameter.Type, parameter.ExplicitDefaultValue) : null));
        }

        if (method.Parameters.Length > MaxDelegateParameters)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.UnsupportedSignature, nameLocation, methodName, "more than 16 parameters do not fit a Func or Action delegate"));
        }

        var returnLocation = LocationInfo.From(methodSyntax?.ReturnType) ?? nameLocation;
        var (shape, resultType) = ReturnShapeOf(method);
        JsonTypeSpec? result = null;
        if (method.ReturnsByRef || method.ReturnsByRefReadonly)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.UnsupportedReturnType, returnLocation, methodName, method.ReturnType.ToDisplayString(DisplayFormat), "it returns by reference"));
        }
        else if (method.IsAsync && method.ReturnsVoid)
        {
            diagnostics.Add(DiagnosticInfo.Create(
                DiagnosticDescriptors.UnsupportedReturnType, returnLocation, methodName, "async void", "an async void method cannot be awaited; return Task or ValueTask"));
        }
        else if (resultType is not null && resultType.TypeKind != TypeKind.Error)
        {
            result = Classify(resultType, jsonContext, isResult: true, out var problem);
            if (result is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(
                    DiagnosticDescriptors.UnsupportedReturnType, returnLocation, methodName, method.ReturnType.ToDisplayString(DisplayFormat), problem!));
            }
        }

        if (diagnostics.Count > 0
            || method.ReturnType.TypeKind == TypeKind.Error
            || method.Parameters.Any(p => p.Type.TypeKind == TypeKind.Error)
            || (resultType is not null && result is null))
        {
            return new FunctionParseResult(null, diagnostics.ToEquatableArray());
        }

        var containing = method.ContainingType!;
        var function = new FunctionSpec(
            id,
            displayName ?? method.Name,
            memoryMb,
            timeoutSeconds,
            capabilities.ToEquatableArray(),
            containing.ToDisplayString(TypeFormat),
            method.Name,
            containing.ToDisplayString(DisplayFormat) + "." + method.Name,
            parameters.ToEquatableArray(),
            acceptsCancellation,
            shape,
            method.ReturnType.ToDisplayString(DeclaredFormat),
            resultType is null ? "object?" : resultType.ToDisplayString(DeclaredFormat),
            resultType is null ? "void" : resultType.ToDisplayString(DisplayFormat),
            result,
            jsonContext?.Name,
            idLocation,
            SortKey(context.TargetNode));
        return new FunctionParseResult(function, EquatableArray<DiagnosticInfo>.Empty);
    }

    public static TableSpec BuildTable(ImmutableArray<FunctionParseResult> results, AssemblySpec assembly)
    {
        var diagnostics = new List<DiagnosticInfo>();
        var functions = new List<FunctionSpec>();
        foreach (var result in results)
        {
            diagnostics.AddRange(result.Diagnostics);
        }

        foreach (var group in results.Where(r => r.Function is not null).Select(r => r.Function!).GroupBy(f => f.Id, StringComparer.Ordinal))
        {
            var ordered = group.OrderBy(f => f.SortKey, StringComparer.Ordinal).ToList();
            functions.Add(ordered[0]);
            foreach (var duplicate in ordered.Skip(1))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.DuplicateId, duplicate.IdLocation, duplicate.Id, ordered[0].MethodDisplay));
            }
        }

        functions.Sort(static (a, b) => string.CompareOrdinal(a.Id, b.Id));
        NameAccessors(functions, diagnostics);
        var context = functions.Select(f => f.JsonContext).FirstOrDefault(c => c is not null);
        return new TableSpec(assembly, functions.ToEquatableArray(), context, diagnostics.ToEquatableArray());
    }

    /// <summary>Handles exist for 0-4 arguments (EdgeRuntime.Resolve); a function with more (or a span) has no accessor.</summary>
    internal const int MaxAccessorParameters = 4;

    /// <summary>The accessor class inside EdgeFunctionTable, and the names an accessor must not take in it.</summary>
    internal const string AccessorClass = "Handles";

    private static readonly string[] ReservedAccessorNames =
        [AccessorClass, "Equals", "Finalize", "GetHashCode", "GetType", "MemberwiseClone", "ReferenceEquals", "Runtime", "ToString"];

    /// <summary>
    /// Gives each function (sorted by id) its accessor name; a name already taken (<c>a-b</c> and <c>a_b</c> are both
    /// <c>AB</c>) or reserved is EDGE012 on the later id, which then has no accessor (it still deploys and runs by id).
    /// </summary>
    private static void NameAccessors(List<FunctionSpec> functions, List<DiagnosticInfo> diagnostics)
    {
        var taken = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < functions.Count; i++)
        {
            var f = functions[i];
            // No handle type fits more than four arguments or a span (a ref struct cannot be a type argument here).
            if (f.Parameters.Count > MaxAccessorParameters
                || f.Parameters.Any(p => p.Json.Shape is SequenceShape.Span or SequenceShape.ReadOnlySpan))
            {
                continue;
            }

            var name = AccessorName(f.Id);
            if (Array.IndexOf(ReservedAccessorNames, name) >= 0)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AccessorNameCollision, f.IdLocation, f.Id, name, "a member of EdgeFunctionTable." + AccessorClass));
                continue;
            }

            if (taken.TryGetValue(name, out var other))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.AccessorNameCollision, f.IdLocation, f.Id, name, "the accessor of '" + other + "'"));
                continue;
            }

            taken[name] = f.Id;
            functions[i] = f with { Accessor = name };
        }
    }

    /// <summary>PascalCase of the id's parts between '.', '_' and '-': <c>sensor-stats</c> -> <c>SensorStats</c>; a leading digit gets '_'.</summary>
    internal static string AccessorName(string id)
    {
        var name = new System.Text.StringBuilder(id.Length + 1);
        var upper = true;
        foreach (var c in id)
        {
            if (c is '.' or '_' or '-')
            {
                upper = true;
                continue;
            }

            name.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }

        if (name.Length == 0 || char.IsDigit(name[0]))
        {
            name.Insert(0, '_');
        }

        return name.ToString();
    }

    internal static bool IsValidId(string id)
    {
        if (id.Length is 0 or > MaxIdLength || !IsAsciiLetterOrDigit(id[0]))
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAsciiLetterOrDigit(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9');

    private static string SortKey(SyntaxNode node) =>
        node.SyntaxTree.FilePath + "|" + node.SpanStart.ToString("D10", CultureInfo.InvariantCulture);

    private static LocationInfo? NamedArgumentLocation(AttributeSyntax? attribute, string name) =>
        LocationInfo.From(attribute?.ArgumentList?.Arguments.FirstOrDefault(a => a.NameEquals?.Name.Identifier.ValueText == name)?.Expression)
        ?? LocationInfo.From(attribute);

    private static IEnumerable<INamedTypeSymbol> ContainingTypes(ISymbol symbol)
    {
        for (var type = symbol.ContainingType; type is not null; type = type.ContainingType)
        {
            yield return type;
        }
    }

    private static string? InaccessibleBecause(IMethodSymbol method)
    {
        if (method.IsAbstract || method.IsVirtual)
        {
            return "an abstract or virtual interface member cannot be called through its type";
        }

        if (!IsAssemblyVisible(method.DeclaredAccessibility))
        {
            return "it is " + AccessibilityText(method.DeclaredAccessibility) + "; make it public or internal";
        }

        foreach (var type in ContainingTypes(method))
        {
            if (type.IsFileLocal)
            {
                return "its containing type '" + type.Name + "' is file-local";
            }

            if (!IsAssemblyVisible(type.DeclaredAccessibility))
            {
                return "its containing type '" + type.Name + "' is " + AccessibilityText(type.DeclaredAccessibility);
            }
        }

        return null;
    }

    private static bool IsAssemblyVisible(Accessibility accessibility) =>
        accessibility is Accessibility.Public or Accessibility.Internal or Accessibility.ProtectedOrInternal;

    private static string AccessibilityText(Accessibility accessibility) => accessibility switch
    {
        Accessibility.Private => "private",
        Accessibility.Protected => "protected",
        Accessibility.ProtectedAndInternal => "private protected",
        _ => accessibility.ToString().ToLowerInvariant(),
    };

    private static string? ModifierProblem(IParameterSymbol parameter)
    {
        if (parameter.IsParams)
        {
            return "a params parameter";
        }

        if (parameter.Type.TypeKind is TypeKind.Pointer or TypeKind.FunctionPointer)
        {
            return "a pointer";
        }

        return parameter.RefKind switch
        {
            RefKind.None => null,
            RefKind.Ref => "passed by ref",
            RefKind.Out => "an out parameter",
            RefKind.In => "an in parameter",
            _ => "a ref readonly parameter",
        };
    }

    private static bool IsCancellationToken(ITypeSymbol type) =>
        type is INamedTypeSymbol { Name: "CancellationToken", ContainingNamespace: { Name: "Threading", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } };

    private static (ReturnShape Shape, ITypeSymbol? Result) ReturnShapeOf(IMethodSymbol method)
    {
        if (method.ReturnsVoid)
        {
            return (ReturnShape.Void, null);
        }

        if (method.ReturnType is INamedTypeSymbol { ContainingNamespace: { Name: "Tasks", ContainingNamespace: { Name: "Threading", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } } } task)
        {
            switch (task.Name, task.TypeArguments.Length)
            {
                case ("Task", 0): return (ReturnShape.Task, null);
                case ("ValueTask", 0): return (ReturnShape.ValueTask, null);
                case ("Task", 1): return (ReturnShape.TaskOfT, task.TypeArguments[0]);
                case ("ValueTask", 1): return (ReturnShape.ValueTaskOfT, task.TypeArguments[0]);
            }
        }

        return (ReturnShape.Value, method.ReturnType);
    }

    private sealed record JsonContextInfo(string Name, bool IsContext, ImmutableArray<ITypeSymbol> Types);

    private static JsonContextInfo? FindJsonContext(Compilation compilation)
    {
        foreach (var attribute in compilation.Assembly.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() != EdgeJsonContextAttribute
                || attribute.ConstructorArguments.Length != 1
                || attribute.ConstructorArguments[0].Value is not INamedTypeSymbol contextType)
            {
                continue;
            }

            var isContext = false;
            for (var type = contextType.BaseType; type is not null; type = type.BaseType)
            {
                isContext |= type.ToDisplayString() == JsonSerializerContext;
            }

            var types = contextType.GetAttributes()
                .Where(a => a.AttributeClass?.ToDisplayString() == JsonSerializableAttribute && a.ConstructorArguments.Length > 0)
                .Select(a => a.ConstructorArguments[0].Value as ITypeSymbol)
                .Where(t => t is not null)
                .Select(t => t!)
                .ToImmutableArray();
            return new JsonContextInfo(contextType.ToDisplayString(TypeFormat), isContext, types);
        }

        return null;
    }

    private static JsonTypeSpec? Classify(ITypeSymbol type, JsonContextInfo? context, bool isResult, out string? problem)
    {
        problem = null;
        var name = type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(TypeFormat);
        var referenceAcceptsNull = type.NullableAnnotation != NullableAnnotation.NotAnnotated;

        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            var underlying = nullable.TypeArguments[0];
            if (ScalarKind(underlying) is { } underlyingKind)
            {
                return new JsonTypeSpec(name, underlying.ToDisplayString(TypeFormat), underlyingKind, true, true, SequenceShape.None, null);
            }
        }
        else if (ScalarKind(type) is { } kind)
        {
            var acceptsNull = kind == JsonKind.String && referenceAcceptsNull;
            return new JsonTypeSpec(name, name, kind, acceptsNull, false, SequenceShape.None, null);
        }

        if (type is IArrayTypeSymbol { IsSZArray: true } array)
        {
            if (SequenceElement(array.ElementType, out var bytes) is { } element)
            {
                return new JsonTypeSpec(name, name, bytes ? JsonKind.Bytes : JsonKind.Sequence, referenceAcceptsNull, false, SequenceShape.Array, element);
            }
        }

        if (type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1, ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } span
            && span.Name is "Span" or "ReadOnlySpan" or "Memory" or "ReadOnlyMemory")
        {
            var shape = span.Name switch
            {
                "Span" => SequenceShape.Span,
                "ReadOnlySpan" => SequenceShape.ReadOnlySpan,
                "Memory" => SequenceShape.Memory,
                _ => SequenceShape.ReadOnlyMemory,
            };
            if (isResult && shape is SequenceShape.Span or SequenceShape.ReadOnlySpan)
            {
                problem = "a span cannot outlive the call; return an array or Memory<T>";
                return null;
            }

            if (SequenceElement(span.TypeArguments[0], out var bytes) is { } element)
            {
                return new JsonTypeSpec(name, name, bytes ? JsonKind.Bytes : JsonKind.Sequence, false, false, shape, element);
            }

            problem = "only spans and memory of primitives, strings and enums are supported";
            return null;
        }

        if (type.IsRefLikeType)
        {
            problem = "ref struct types cannot be bound";
            return null;
        }

        if (type.TypeKind is TypeKind.TypeParameter or TypeKind.Pointer or TypeKind.FunctionPointer or TypeKind.Delegate or TypeKind.Dynamic
            || type.SpecialType is SpecialType.System_Object or SpecialType.System_IntPtr or SpecialType.System_UIntPtr)
        {
            problem = "it has no JSON contract";
            return null;
        }

        if (context is null)
        {
            problem = "no JsonSerializerContext is registered; add [assembly: EdgeJsonContext(typeof(YourJsonContext))] and [JsonSerializable(typeof(" + type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) + "))] on that context";
            return null;
        }

        if (!context.IsContext)
        {
            problem = "the EdgeJsonContext type '" + context.Name + "' does not derive from JsonSerializerContext";
            return null;
        }

        var bare = type.WithNullableAnnotation(NullableAnnotation.NotAnnotated);
        if (!context.Types.Any(t => SymbolEqualityComparer.Default.Equals(t, bare)))
        {
            problem = "it is not registered on '" + context.Name + "'; add [JsonSerializable(typeof(" + bare.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) + "))] to that context";
            return null;
        }

        return new JsonTypeSpec(name, name, JsonKind.User, type.IsReferenceType ? referenceAcceptsNull : type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T, false, SequenceShape.None, null);
    }

    private static JsonTypeSpec? SequenceElement(ITypeSymbol element, out bool bytes)
    {
        bytes = element.SpecialType == SpecialType.System_Byte;
        if (ScalarKind(element) is not { } kind)
        {
            return null;
        }

        var name = element.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(TypeFormat);
        var acceptsNull = kind == JsonKind.String && element.NullableAnnotation != NullableAnnotation.NotAnnotated;
        return new JsonTypeSpec(name, name, kind, acceptsNull, false, SequenceShape.None, null);
    }

    private static JsonKind? ScalarKind(ITypeSymbol type)
    {
        switch (type.SpecialType)
        {
            case SpecialType.System_Boolean: return JsonKind.Boolean;
            case SpecialType.System_Byte: return JsonKind.Byte;
            case SpecialType.System_SByte: return JsonKind.SByte;
            case SpecialType.System_Int16: return JsonKind.Int16;
            case SpecialType.System_UInt16: return JsonKind.UInt16;
            case SpecialType.System_Int32: return JsonKind.Int32;
            case SpecialType.System_UInt32: return JsonKind.UInt32;
            case SpecialType.System_Int64: return JsonKind.Int64;
            case SpecialType.System_UInt64: return JsonKind.UInt64;
            case SpecialType.System_Single: return JsonKind.Single;
            case SpecialType.System_Double: return JsonKind.Double;
            case SpecialType.System_Decimal: return JsonKind.Decimal;
            case SpecialType.System_Char: return JsonKind.Char;
            case SpecialType.System_String: return JsonKind.String;
            case SpecialType.System_DateTime: return JsonKind.DateTime;
        }

        if (type.TypeKind == TypeKind.Enum)
        {
            return type.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "System.FlagsAttribute") ? JsonKind.FlagsEnum : JsonKind.Enum;
        }

        if (type is INamedTypeSymbol { ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } named)
        {
            switch (named.Name)
            {
                case "Guid": return JsonKind.Guid;
                case "DateTimeOffset": return JsonKind.DateTimeOffset;
                case "TimeSpan": return JsonKind.TimeSpan;
            }
        }

        return null;
    }

    private static string DefaultLiteral(ITypeSymbol type, object? value)
    {
        var target = type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : type;
        var targetName = target.ToDisplayString(TypeFormat);
        if (value is null)
        {
            return type.IsValueType && type.OriginalDefinition.SpecialType != SpecialType.System_Nullable_T
                ? "default(" + targetName + ")"
                : "null";
        }

        // Typed literals need no cast; enums and the small integer types do.
        return value switch
        {
            _ when target.TypeKind == TypeKind.Enum =>
                "(" + targetName + ")(" + ((IFormattable)value).ToString(null, CultureInfo.InvariantCulture) + ")",
            bool b => b ? "true" : "false",
            string s => SymbolDisplay.FormatLiteral(s, quote: true),
            char c => SymbolDisplay.FormatLiteral(c, quote: true),
            double d => DoubleLiteral(d, "double", "D"),
            float f => DoubleLiteral(f, "float", "F"),
            decimal m => m.ToString(CultureInfo.InvariantCulture) + "M",
            int i => i.ToString(CultureInfo.InvariantCulture),
            long l => l.ToString(CultureInfo.InvariantCulture) + "L",
            ulong ul => ul.ToString(CultureInfo.InvariantCulture) + "UL",
            uint ui => ui.ToString(CultureInfo.InvariantCulture) + "U",
            IFormattable other => "(" + targetName + ")(" + other.ToString(null, CultureInfo.InvariantCulture) + ")",
            _ => "default(" + targetName + ")",
        };
    }

    private static string DoubleLiteral(double value, string keyword, string suffix)
    {
        if (double.IsNaN(value))
        {
            return keyword + ".NaN";
        }

        if (double.IsPositiveInfinity(value))
        {
            return keyword + ".PositiveInfinity";
        }

        if (double.IsNegativeInfinity(value))
        {
            return keyword + ".NegativeInfinity";
        }

        return (suffix == "F" ? ((float)value).ToString("R", CultureInfo.InvariantCulture) : value.ToString("R", CultureInfo.InvariantCulture)) + suffix;
    }
}
