using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using Basic.Reference.Assemblies;
using Edge.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Edge.Generators.Tests.Infrastructure;

/// <summary>One generator run: its result, the compilation with the generated sources, and the driver to rerun.</summary>
internal sealed record GeneratorRun(GeneratorDriver Driver, GeneratorDriverRunResult Result, Compilation Output)
{
    public ImmutableArray<Diagnostic> Diagnostics => Result.Diagnostics;

    /// <summary>Errors and warnings of the compilation including the generated code.</summary>
    public ImmutableArray<Diagnostic> CompileProblems =>
        [.. Output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning)];

    public string Source(string hintName) =>
        Result.Results.Single().GeneratedSources.Single(s => s.HintName == hintName).SourceText.ToString();
}

/// <summary>
/// Runs EdgeFunctionGenerator over in-memory compilations that share one reference set (Basic.Reference.Assemblies
/// plus Edge.Runtime). Every run also checks caching: a rerun on a clone must find every tracked step Cached or
/// Unchanged, and no step output may hold a Compilation, ISymbol or SyntaxNode.
/// </summary>
internal static class GeneratorRunner
{
    public static readonly CSharpParseOptions ParseOptions = new(LanguageVersion.Latest);

    // Shared by every test: the reference set is the expensive part. Each compilation is created fresh from it, so no
    // test shares a compilation's lazily built declaration state with another.
    private static readonly MetadataReference[] References =
        [.. Net100.References.All, MetadataReference.CreateFromFile(typeof(EdgeRuntime).Assembly.Location)];

    private static readonly CSharpCompilationOptions Options = new(
        OutputKind.DynamicallyLinkedLibrary,
        nullableContextOptions: NullableContextOptions.Enable,
        allowUnsafe: true,
        deterministic: true);

    private static readonly string[] TrackedNames =
        [TrackingNames.Functions, TrackingNames.Collected, TrackingNames.Assembly, TrackingNames.Table];

    public static CSharpCompilation Compile(params string[] sources) =>
        Compile(sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, ParseOptions, path: $"Source{i}.cs")));

    public static CSharpCompilation Compile(IEnumerable<SyntaxTree> trees) =>
        CSharpCompilation.Create("TestApp", trees, References, Options);

    public static CSharpCompilation WithoutRuntime(string source) =>
        CSharpCompilation.Create(
            "TestApp",
            [CSharpSyntaxTree.ParseText(source, ParseOptions, path: "Source0.cs")],
            References.Where(r => r.Display?.EndsWith("Edge.Runtime.dll", StringComparison.Ordinal) != true),
            Options);

    public static GeneratorRun Run(string source, string? rootNamespace = "TestApp") => Run(Compile(source), rootNamespace);

    public static GeneratorRun Run(Compilation compilation, string? rootNamespace = "TestApp")
    {
        GeneratorDriver driver = CSharpGeneratorDriver.Create(
            [new EdgeFunctionGenerator().AsSourceGenerator()],
            parseOptions: ParseOptions,
            optionsProvider: new RootNamespaceOptions(rootNamespace),
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out _);
        var run = new GeneratorRun(driver, driver.GetRunResult(), output);

        AssertNoForbiddenOutputs(run.Result);
        var rerun = driver.RunGenerators(compilation.Clone()).GetRunResult();
        var problems = StepReasons(rerun)
            .Where(s => s.Reason is not (IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged))
            .Select(s => $"{s.Step}: {s.Reason}")
            .ToList();
        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Rerun on a cloned compilation was not cached: " + string.Join("; ", problems));
        }

        return run;
    }

    /// <summary>Reruns the driver of <paramref name="previous"/> on an edited compilation.</summary>
    public static GeneratorDriverRunResult Rerun(GeneratorRun previous, Compilation edited)
    {
        var result = previous.Driver.RunGenerators(edited).GetRunResult();
        AssertNoForbiddenOutputs(result);
        return result;
    }

    /// <summary>The run reason of every output of every tracked step, by step name.</summary>
    public static IEnumerable<(string Step, IncrementalStepRunReason Reason)> StepReasons(GeneratorDriverRunResult result) =>
        from name in TrackedNames
        from step in result.Results.Single().TrackedSteps.GetValueOrDefault(name, [])
        from output in step.Outputs
        select (name, output.Reason);

    private static void AssertNoForbiddenOutputs(GeneratorDriverRunResult result)
    {
        // The generator's own steps; Roslyn's internal ForAttributeWithMetadataName steps legitimately hold syntax.
        foreach (var (name, steps) in result.Results.Single().TrackedSteps.Where(s => TrackedNames.Contains(s.Key)))
        {
            foreach (var output in steps.SelectMany(s => s.Outputs))
            {
                if (FindForbidden(output.Value, 0, new HashSet<object>(ReferenceEqualityComparer.Instance)) is { } found)
                {
                    throw new InvalidOperationException($"Step '{name}' output holds a {found}; models must be plain values.");
                }
            }
        }
    }

    private static string? FindForbidden(object? value, int depth, HashSet<object> seen)
    {
        if (value is null || depth > 12 || value is string || value.GetType().IsPrimitive || value.GetType().IsEnum)
        {
            return null;
        }

        switch (value)
        {
            case Compilation:
                return nameof(Compilation);
            case ISymbol:
                return nameof(ISymbol);
            case SyntaxNode:
                return nameof(SyntaxNode);
            case SyntaxTree:
                return nameof(SyntaxTree);
            case Location { SourceTree: not null }:
                return "source Location";
        }

        if (!value.GetType().IsValueType && !seen.Add(value))
        {
            return null;
        }

        if (value is IEnumerable items)
        {
            foreach (var item in items)
            {
                if (FindForbidden(item, depth + 1, seen) is { } found)
                {
                    return found;
                }
            }

            return null;
        }

        foreach (var field in value.GetType().GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
        {
            if (FindForbidden(field.GetValue(value), depth + 1, seen) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private sealed class RootNamespaceOptions(string? rootNamespace) : AnalyzerConfigOptionsProvider
    {
        public override AnalyzerConfigOptions GlobalOptions { get; } = new Values(rootNamespace);

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Values.None;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Values.None;
    }

    private sealed class Values(string? rootNamespace) : AnalyzerConfigOptions
    {
        public static readonly Values None = new(null);

        public override bool TryGetValue(string key, out string value)
        {
            value = rootNamespace ?? "";
            return key == "build_property.RootNamespace" && rootNamespace is not null;
        }
    }
}
