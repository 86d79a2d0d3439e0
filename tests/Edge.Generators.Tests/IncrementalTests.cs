using Edge.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Edge.Generators.Tests;

/// <summary>
/// Edits reuse what they can. The attribute transform must rerun on any compilation change (another file can change a
/// method's semantics), but equal models stop the change there: an unrelated file or a body edit leaves the table and
/// the source output Cached; a signature edit modifies them.
/// </summary>
public class IncrementalTests
{
    private const string Functions = Sources.Usings + """
        namespace Demo;

        public static class F
        {
            [EdgeFunction("add")]
            public static int Add(int a, int b) => a + b;
        }
        """;

    private const string Unrelated = """
        namespace Demo;

        public static class Unrelated
        {
            public static int Value => 1;
        }
        """;

    [Test]
    public async Task Unrelated_file_edit_leaves_the_table_and_output_cached()
    {
        var (run, compilation) = Start();

        var result = GeneratorRunner.Rerun(run, Edit(compilation, 1, "Value => 1", "Value => 2"));

        await Assert.That(Reasons(result, TrackingNames.Functions)).IsEquivalentTo([IncrementalStepRunReason.Unchanged]);
        await Assert.That(Reasons(result, TrackingNames.Table)).IsEquivalentTo([IncrementalStepRunReason.Cached]);
        await Assert.That(OutputReasons(result)).IsEquivalentTo([IncrementalStepRunReason.Cached]);
    }

    [Test]
    public async Task Body_edit_reruns_the_parser_but_leaves_its_output_unchanged()
    {
        var (run, compilation) = Start();

        var result = GeneratorRunner.Rerun(run, Edit(compilation, 0, "=> a + b", "=> b + a"));

        await Assert.That(Reasons(result, TrackingNames.Functions)).IsEquivalentTo([IncrementalStepRunReason.Unchanged]);
        await Assert.That(Reasons(result, TrackingNames.Table)).IsEquivalentTo([IncrementalStepRunReason.Cached]);
        await Assert.That(OutputReasons(result)).IsEquivalentTo([IncrementalStepRunReason.Cached]);
    }

    [Test]
    public async Task Signature_edit_modifies_the_model_and_the_table()
    {
        var (run, compilation) = Start();

        var result = GeneratorRunner.Rerun(run, Edit(compilation, 0, "int Add(int a, int b)", "long Add(long a, int b)"));

        await Assert.That(Reasons(result, TrackingNames.Functions)).IsEquivalentTo([IncrementalStepRunReason.Modified]);
        await Assert.That(Reasons(result, TrackingNames.Table)).IsEquivalentTo([IncrementalStepRunReason.Modified]);
        await Assert.That(OutputReasons(result)).IsEquivalentTo([IncrementalStepRunReason.Modified]);
        var table = result.Results.Single().GeneratedSources.Single(s => s.HintName == Emitter.TableHintName).SourceText.ToString();
        await Assert.That(table).Contains("global::System.Func<long, int, long>(global::Demo.F.Add)");
    }

    [Test]
    public async Task Attribute_argument_edit_modifies_the_table()
    {
        var (run, compilation) = Start();

        var result = GeneratorRunner.Rerun(run, Edit(compilation, 0, "[EdgeFunction(\"add\")]", "[EdgeFunction(\"add\", MemoryMb = 32)]"));

        await Assert.That(Reasons(result, TrackingNames.Table)).IsEquivalentTo([IncrementalStepRunReason.Modified]);
    }

    private static (GeneratorRun Run, Compilation Compilation) Start()
    {
        var compilation = GeneratorRunner.Compile(Functions, Unrelated);
        return (GeneratorRunner.Run(compilation), compilation);
    }

    private static Compilation Edit(Compilation compilation, int tree, string from, string to)
    {
        var old = compilation.SyntaxTrees.ElementAt(tree);
        var text = old.GetText().ToString();
        if (!text.Contains(from, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{from}' is not in tree {tree}.", nameof(from));
        }

        // The untouched trees stay the same objects, as in an IDE edit, so the driver can tell what changed.
        var edited = CSharpSyntaxTree.ParseText(text.Replace(from, to, StringComparison.Ordinal), GeneratorRunner.ParseOptions, old.FilePath);
        return GeneratorRunner.Compile(compilation.SyntaxTrees.Select(t => t == old ? edited : t));
    }

    private static List<IncrementalStepRunReason> OutputReasons(GeneratorDriverRunResult result) =>
        [.. result.Results.Single().TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).Select(o => o.Reason)];

    private static List<IncrementalStepRunReason> Reasons(GeneratorDriverRunResult result, string step) =>
        [.. GeneratorRunner.StepReasons(result).Where(s => s.Step == step).Select(s => s.Reason)];
}
