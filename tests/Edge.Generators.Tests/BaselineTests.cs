using Edge.Generators.Tests.Infrastructure;

namespace Edge.Generators.Tests;

/// <summary>Generated code for representative inputs matches the checked-in baselines and compiles cleanly.</summary>
public class BaselineTests
{
    [Test]
    [Arguments("Sensors")]
    [Arguments("Primitives")]
    [Arguments("Shapes")]
    [Arguments("Empty")]
    public async Task Generated_code_matches_baseline_and_compiles(string test)
    {
        string[] sources = test switch
        {
            "Sensors" => [Sources.Sensors, Sources.SensorsContext],
            "Primitives" => [Sources.Primitives],
            "Shapes" => [Sources.Shapes],
            _ => [Sources.Empty],
        };

        var run = GeneratorRunner.Run(GeneratorRunner.Compile(sources));

        await Assert.That(run.Diagnostics).IsEmpty();
        await Assert.That(run.CompileProblems.Select(d => d.ToString())).IsEmpty();
        await Assert.That(Baselines.Compare(test, run.Result.Results.Single())).IsEmpty();
    }

    [Test]
    public async Task Output_is_deterministic_and_sorted_by_id()
    {
        var first = GeneratorRunner.Run(Sources.Shapes).Source(Emitter.TableHintName);
        var second = GeneratorRunner.Run(Sources.Shapes).Source(Emitter.TableHintName);

        await Assert.That(second).IsEqualTo(first);
        string[] ids = ["nested.internal", "task", "task-of-t", "token-only", "value-task", "value-task-of-t", "void"];
        var positions = ids.Select(id => first.IndexOf($"\"{id}\" => Create", StringComparison.Ordinal)).ToList();
        await Assert.That(positions.All(p => p > 0)).IsTrue();
        await Assert.That(positions).IsInOrder();
    }

    [Test]
    public async Task Root_namespace_comes_from_the_build_property()
    {
        var run = GeneratorRunner.Run(Sources.Shapes, rootNamespace: "Company.Product");

        await Assert.That(run.Source(Emitter.TableHintName)).Contains("namespace Company.Product\n");
        await Assert.That(run.CompileProblems).IsEmpty();
    }

    [Test]
    public async Task Root_namespace_falls_back_to_a_sanitized_assembly_name()
    {
        var compilation = GeneratorRunner.Compile(Sources.Shapes).WithAssemblyName("edge-host.2nd");

        var run = GeneratorRunner.Run(compilation, rootNamespace: null);

        await Assert.That(run.Source(Emitter.TableHintName)).Contains("namespace edge_host._2nd\n");
        await Assert.That(run.CompileProblems).IsEmpty();
    }

    [Test]
    public async Task Nothing_is_generated_without_a_reference_to_Edge_Runtime()
    {
        var run = GeneratorRunner.Run(GeneratorRunner.WithoutRuntime("namespace Demo; public static class C { }"));

        await Assert.That(run.Result.Results.Single().GeneratedSources).IsEmpty();
        await Assert.That(run.Diagnostics).IsEmpty();
    }

    [Test]
    public async Task Generated_sources_use_no_reflection()
    {
        var run = GeneratorRunner.Run(GeneratorRunner.Compile(Sources.Sensors, Sources.SensorsContext, Sources.Primitives, Sources.Shapes));

        await Assert.That(run.CompileProblems).IsEmpty();
        foreach (var generated in run.Result.Results.Single().GeneratedSources)
        {
            await Assert.That(generated.SourceText.ToString()).DoesNotContain("System.Reflection");
        }
    }
}
