using Microsoft.CodeAnalysis;

namespace Edge.Generators;

/// <summary>Turns [EdgeFunction] methods into a static, reflection-free dispatch table per assembly.</summary>
[Generator(LanguageNames.CSharp)]
public sealed class EdgeFunctionGenerator : IIncrementalGenerator
{
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var functions = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                Parser.EdgeFunctionAttribute,
                predicate: static (node, _) => Parser.IsCandidate(node),
                transform: static (ctx, ct) => Parser.Parse(ctx, ct))
            .WithTrackingName(TrackingNames.Functions);

        var collected = functions
            .Collect()
            .WithTrackingName(TrackingNames.Collected);

        var assembly = context.CompilationProvider
            .Combine(context.AnalyzerConfigOptionsProvider)
            .Select(static (pair, _) => Parser.ParseAssembly(pair.Left, pair.Right.GlobalOptions))
            .WithTrackingName(TrackingNames.Assembly);

        var table = collected
            .Combine(assembly)
            .Select(static (pair, _) => Parser.BuildTable(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.Table);

        context.RegisterSourceOutput(table, static (spc, model) => Emitter.Emit(spc, model));
    }
}
