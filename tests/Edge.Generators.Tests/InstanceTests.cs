using System.Runtime.Loader;
using Edge.Generators.Tests.Infrastructure;
using Edge.Runtime;

namespace Edge.Generators.Tests;

/// <summary>
/// <c>EdgeFunctionTable.Instance</c>, run for real: the generated assembly is compiled, loaded and called through
/// <see cref="IEdgeFunctionTable"/>, whatever the root namespace (the forwarding names it with <c>global::</c>).
/// </summary>
public class InstanceTests
{
    [Test]
    [Arguments("Shapes", "TestApp", "TestApp")]
    [Arguments("Shapes", "Company.Product", "Company.Product")]
    [Arguments("Shapes", "class", "class")]
    [Arguments("Empty", "TestApp", "TestApp")]
    public async Task Instance_forwards_to_the_static_descriptors_and_deploy(string test, string rootNamespace, string clrNamespace)
    {
        var run = GeneratorRunner.Run(test == "Shapes" ? Sources.Shapes : Sources.Empty, rootNamespace);
        await Assert.That(run.CompileProblems.Select(d => d.ToString())).IsEmpty();

        var context = new AssemblyLoadContext("instance-" + rootNamespace, isCollectible: true);
        try
        {
            var table = Load(context, run).GetType(clrNamespace + ".EdgeFunctionTable", throwOnError: true)!;
            var instance = (IEdgeFunctionTable)table.GetProperty("Instance")!.GetValue(null)!;
            var descriptors = (IReadOnlyList<EdgeFunctionDescriptor>)table.GetProperty("Descriptors")!.GetValue(null)!;

            // Forwarded, not copied: the very same list, on every read.
            await Assert.That(ReferenceEquals(instance.Descriptors, descriptors)).IsTrue();
            await Assert.That(ReferenceEquals(table.GetProperty("Instance")!.GetValue(null), instance)).IsTrue();

            var runtime = new EdgeRuntime(new EdgeNode("n1", "n1"));
            instance.DeployAll(runtime);
            await Assert.That(runtime.ListFunctions().Select(f => f.Id)).IsEquivalentTo(
                descriptors.Select(d => d.Id), TUnit.Assertions.Enums.CollectionOrdering.Matching);
            await Assert.That(runtime.FunctionCount).IsEqualTo(test == "Shapes" ? 7 : 0);
            await Assert.That(() => instance.DeployAll(null!)).Throws<ArgumentNullException>();
        }
        finally
        {
            context.Unload();
        }
    }

    private static System.Reflection.Assembly Load(AssemblyLoadContext context, GeneratorRun run)
    {
        using var image = new MemoryStream();
        var emitted = run.Output.Emit(image);
        if (!emitted.Success)
        {
            throw new InvalidOperationException("The generated assembly did not emit: " + string.Join("; ", emitted.Diagnostics));
        }

        image.Position = 0;
        return context.LoadFromStream(image);
    }
}
