using Edge.Generators.Tests.Infrastructure;

namespace Edge.Generators.Tests;

/// <summary>
/// One test per diagnostic: exactly that id at the marked <c>[|span|]</c>, and an Ok twin (the fixed code) with no
/// diagnostic whose generated code compiles without errors or warnings.
/// </summary>
public class DiagnosticsTests
{
    private const string PointContext = """

        [assembly: EdgeJsonContext(typeof(Demo.PointContext))]

        namespace Demo
        {
            [System.Text.Json.Serialization.JsonSerializable(typeof(Point))]
            public partial class PointContext : System.Text.Json.Serialization.JsonSerializerContext
            {
                public PointContext() : base(null) { }
                public static PointContext Default { get; } = new();
                protected override System.Text.Json.JsonSerializerOptions? GeneratedSerializerOptions => null;
                public override System.Text.Json.Serialization.Metadata.JsonTypeInfo? GetTypeInfo(Type type) => null;
            }
        }
        """;

    [Test]
    public async Task EDGE001_duplicate_id()
    {
        await Reports("EDGE001", """
            public static class F
            {
                [EdgeFunction("dup")] public static int A() => 1;
                [EdgeFunction([|"dup"|])] public static int B() => 2;
            }
            """);
        await Ok("""
            public static class F
            {
                [EdgeFunction("dup-a")] public static int A() => 1;
                [EdgeFunction("dup-b")] public static int B() => 2;
            }
            """);
    }

    [Test]
    public async Task EDGE001_duplicate_id_across_files_reports_the_later_file()
    {
        var first = Sources.Usings + "namespace Demo; public static class F { [EdgeFunction(\"dup\")] public static int A() => 1; }";
        var (second, span) = Markup.Parse(Sources.Usings + "namespace Demo; public static class G { [EdgeFunction([|\"dup\"|])] public static int B() => 2; }");

        var run = GeneratorRunner.Run(GeneratorRunner.Compile(first, second));

        await Assert.That(Describe(run)).IsEqualTo($"EDGE001 Source1.cs {span}");
    }

    [Test]
    public async Task EDGE002_instance_method()
    {
        await Reports("EDGE002", """
            public class F
            {
                [EdgeFunction("f")] public int [|A|]() => 1;
            }
            """);
        await Ok("""
            public class F
            {
                [EdgeFunction("f")] public static int A() => 1;
            }
            """);
    }

    [Test]
    public async Task EDGE003_private_method()
    {
        await Reports("EDGE003", """
            public static class F
            {
                [EdgeFunction("f")] private static int [|A|]() => 1;
            }
            """);
        await Ok("""
            public static class F
            {
                [EdgeFunction("f")] internal static int A() => 1;
            }
            """);
    }

    [Test]
    public async Task EDGE003_method_in_private_nested_type()
    {
        await Reports("EDGE003", """
            public static class Outer
            {
                private static class Inner
                {
                    [EdgeFunction("f")] public static int [|A|]() => 1;
                }
            }
            """);
        await Ok("""
            public static class Outer
            {
                internal static class Inner
                {
                    [EdgeFunction("f")] public static int A() => 1;
                }
            }
            """);
    }

    [Test]
    public async Task EDGE003_local_function()
    {
        await Reports("EDGE003", """
            public static class F
            {
                public static int M()
                {
                    return Local();

                    [EdgeFunction("f")] static int [|Local|]() => 1;
                }
            }
            """);
    }

    [Test]
    public async Task EDGE003_static_abstract_interface_member()
    {
        await Reports("EDGE003", """
            public interface IF
            {
                [EdgeFunction("f")] static abstract int [|A|]();
            }
            """);
    }

    [Test]
    public async Task Obsolete_function_compiles_without_warnings()
    {
        await Ok("""
            public static class F
            {
                [System.Obsolete("use B")]
                [EdgeFunction("f")] public static int A() => 1;
            }
            """);
    }

    [Test]
    public async Task EDGE004_generic_method()
    {
        await Reports("EDGE004", """
            public static class F
            {
                [EdgeFunction("f")] public static T [|Echo|]<T>(T value) => value;
            }
            """);
        await Ok("""
            public static class F
            {
                [EdgeFunction("f")] public static int Echo(int value) => value;
            }
            """);
    }

    [Test]
    public async Task EDGE004_method_in_generic_type()
    {
        await Reports("EDGE004", """
            public static class F<T>
            {
                [EdgeFunction("f")] public static int [|A|]() => 1;
            }
            """);
    }

    [Test]
    [Arguments("[|ref int x|]", "x")]
    [Arguments("[|out int x|]", "x = 1; return x")]
    [Arguments("[|in int x|]", "x")]
    [Arguments("[|params int[] x|]", "x.Length")]
    [Arguments("[|int* x|]", "*x")]
    public async Task EDGE005_by_ref_params_and_pointer_parameters(string parameter, string body)
    {
        await Reports("EDGE005", $$"""
            public static unsafe class F
            {
                [EdgeFunction("f")] public static int A({{parameter}}) { return {{body}}; }
            }
            """);
        await Ok("""
            public static class F
            {
                [EdgeFunction("f")] public static int A(int x) { return x; }
            }
            """);
    }

    [Test]
    public async Task EDGE006_user_type_without_a_json_context()
    {
        await Reports("EDGE006", """
            public sealed record Point(int X);

            public static class F
            {
                [EdgeFunction("f")] public static int A([|Point|] p) => p.X;
            }
            """);
        await Ok("""
            public sealed record Point(int X);

            public static class F
            {
                [EdgeFunction("f")] public static int A(Point p) => p.X;
            }
            """ + PointContext);
    }

    [Test]
    public async Task EDGE006_user_type_not_registered_on_the_context()
    {
        await Reports("EDGE006", """
            public sealed record Point(int X);

            public sealed record Other(int Y);

            public static class F
            {
                [EdgeFunction("f")] public static int A([|Other|] o) => o.Y;
            }
            """ + PointContext);
    }

    [Test]
    public async Task EDGE006_object_parameter()
    {
        await Reports("EDGE006", """
            public static class F
            {
                [EdgeFunction("f")] public static int A([|object|] o) => 1;
            }
            """);
    }

    [Test]
    public async Task EDGE007_user_result_without_a_json_context()
    {
        await Reports("EDGE007", """
            public sealed record Point(int X);

            public static class F
            {
                [EdgeFunction("f")] public static [|Task<Point>|] A() => Task.FromResult(new Point(1));
            }
            """);
        await Ok("""
            public sealed record Point(int X);

            public static class F
            {
                [EdgeFunction("f")] public static Task<Point> A() => Task.FromResult(new Point(1));
            }
            """ + PointContext);
    }

    [Test]
    public async Task EDGE007_async_void()
    {
        await Reports("EDGE007", """
            public static class F
            {
                [EdgeFunction("f")] public static async [|void|] A() => await Task.Yield();
            }
            """);
        await Ok("""
            public static class F
            {
                [EdgeFunction("f")] public static async Task A() => await Task.Yield();
            }
            """);
    }

    [Test]
    [Arguments("0")]
    [Arguments("65537")]
    [Arguments("-5")]
    public async Task EDGE008_memory_out_of_range(string memory)
    {
        await Reports("EDGE008", $$"""
            public static class F
            {
                [EdgeFunction("f", MemoryMb = [|{{memory}}|])] public static int A() => 1;
            }
            """);
        await Ok("""
            public static class F
            {
                [EdgeFunction("f", MemoryMb = 65536)] public static int A() => 1;
                [EdgeFunction("g", MemoryMb = 1)] public static int B() => 1;
            }
            """);
    }

    [Test]
    [Arguments("0")]
    [Arguments("3601")]
    public async Task EDGE009_timeout_out_of_range(string timeout)
    {
        await Reports("EDGE009", $$"""
            public static class F
            {
                [EdgeFunction("f", TimeoutSeconds = [|{{timeout}}|])] public static int A() => 1;
            }
            """);
        await Ok("""
            public static class F
            {
                [EdgeFunction("f", TimeoutSeconds = 3600)] public static int A() => 1;
                [EdgeFunction("g", TimeoutSeconds = 1)] public static int B() => 1;
            }
            """);
    }

    [Test]
    [Arguments("")]
    [Arguments("has space")]
    [Arguments("-leading-dash")]
    [Arguments("slash/inside")]
    [Arguments("x12345678901234567890123456789012345678901234567890123456789012345")]
    public async Task EDGE010_malformed_id(string id)
    {
        await Reports("EDGE010", $$"""
            public static class F
            {
                [EdgeFunction([|"{{id}}"|])] public static int A() => 1;
            }
            """);
        await Ok("""
            public static class F
            {
                [EdgeFunction("a.b_c-D9")] public static int A() => 1;
                [EdgeFunction("x123456789012345678901234567890123456789012345678901234567890123")] public static int B() => 1;
            }
            """);
    }

    [Test]
    public async Task EDGE011_cancellation_token_not_last()
    {
        await Reports("EDGE011", """
            public static class F
            {
                [EdgeFunction("f")] public static int A([|CancellationToken ct|], int x) => x;
            }
            """);
        await Ok("""
            public static class F
            {
                [EdgeFunction("f")] public static int A(int x, CancellationToken ct) => x;
            }
            """);
    }

    [Test]
    public async Task EDGE012_accessor_names_that_collide()
    {
        // "a-b" sorts before "a_b" (ordinal), so it keeps the accessor AB and the later id is reported.
        await Reports("EDGE012", """
            public static class F
            {
                [EdgeFunction("a-b")] public static int A() => 1;
                [EdgeFunction([|"a_b"|])] public static int B() => 2;
            }
            """);
        await Ok("""
            public static class F
            {
                [EdgeFunction("a-b")] public static int A() => 1;
                [EdgeFunction("a_c")] public static int B() => 2;
            }
            """);
    }

    [Test]
    public async Task EDGE012_accessor_name_reserved_by_the_accessor_class()
    {
        await Reports("EDGE012", """
            public static class F
            {
                [EdgeFunction([|"to-string"|])] public static string A() => "";
            }
            """);
        await Ok("""
            public static class F
            {
                [EdgeFunction("to-text")] public static string A() => "";
            }
            """);
    }

    [Test]
    public async Task EDGE012_message_names_both_ids()
    {
        var run = GeneratorRunner.Run(GeneratorRunner.Compile(Sources.Usings + """
            namespace Demo;
            public static class F
            {
                [EdgeFunction("sensor.stats")] public static int A() => 1;
                [EdgeFunction("sensor-stats")] public static int B() => 2;
            }
            """));

        var diagnostic = run.Diagnostics.Single();
        await Assert.That(diagnostic.GetMessage(System.Globalization.CultureInfo.InvariantCulture)).IsEqualTo(
            "Edge function id 'sensor.stats' gives the accessor name 'SensorStats', which is already the accessor of 'sensor-stats'; choose an id that differs in more than punctuation");
        await Assert.That(run.Source(Emitter.TableHintName)).Contains("SensorStats => _h0 ??= Runtime.Resolve<int>(\"sensor-stats\");");
        await Assert.That(run.CompileProblems).IsEmpty();
    }

    [Test]
    public async Task Every_descriptor_has_a_test_and_a_release_entry()
    {
        var ids = typeof(DiagnosticDescriptors)
            .GetFields()
            .Select(f => ((Microsoft.CodeAnalysis.DiagnosticDescriptor)f.GetValue(null)!).Id)
            .Order(StringComparer.Ordinal)
            .ToList();
        var tests = typeof(DiagnosticsTests).GetMethods().Select(m => m.Name[..Math.Min(7, m.Name.Length)]).ToHashSet();
        var releases = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "Edge.Generators", "AnalyzerReleases.Unshipped.md"));

        await Assert.That(ids.Count).IsEqualTo(12);
        await Assert.That(ids.Where(id => !tests.Contains(id))).IsEmpty();
        await Assert.That(ids.Where(id => !releases.Contains(id + " |", StringComparison.Ordinal))).IsEmpty();
    }

    private static async Task Reports(string id, string markup)
    {
        var (source, span) = Markup.Parse(Sources.Usings + "namespace Demo\n{\n" + markup + "\n}\n");
        var trees = SplitContext(source);

        var run = GeneratorRunner.Run(GeneratorRunner.Compile(trees));

        await Assert.That(Describe(run)).IsEqualTo($"{id} Source0.cs {span}");
    }

    private static async Task Ok(string code)
    {
        var run = GeneratorRunner.Run(GeneratorRunner.Compile(SplitContext(Sources.Usings + "namespace Demo\n{\n" + code + "\n}\n")));

        await Assert.That(run.Diagnostics).IsEmpty();
        await Assert.That(run.CompileProblems.Select(d => d.ToString())).IsEmpty();
        await Assert.That(run.Result.Results.Single().GeneratedSources.Length).IsEqualTo(2);
    }

    /// <summary>The context block (an assembly attribute) must live in a file of its own.</summary>
    private static string[] SplitContext(string source)
    {
        var at = source.IndexOf("\n[assembly:", StringComparison.Ordinal);
        if (at < 0)
        {
            return [source];
        }

        var end = source.LastIndexOf("\n}", StringComparison.Ordinal);
        var context = source[at..end];
        return [source[..at] + source[end..], Sources.Usings + context];
    }

    private static string Describe(GeneratorRun run) =>
        string.Join("; ", run.Diagnostics.Select(d => $"{d.Id} {d.Location.GetLineSpan().Path} {d.Location.SourceSpan}"));

    private static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", ".."));
}
