using System.Buffers;
using System.Text;
using Edge.Runtime;

namespace Edge.Consumer.Tests;

/// <summary>
/// The consumer's <c>EdgeFunctionTable.Instance</c> seen as a host sees it: an <see cref="IEdgeFunctionTable"/> value
/// that spells the same table as the static members.
/// </summary>
public class InstanceTests
{
    [Test]
    public async Task Instance_descriptors_are_the_static_descriptors_in_order()
    {
        IEdgeFunctionTable table = EdgeFunctionTable.Instance;

        await Assert.That(table.Descriptors).IsNotEmpty();
        await Assert.That(table.Descriptors).IsEquivalentTo(EdgeFunctionTable.Descriptors, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(ReferenceEquals(EdgeFunctionTable.Instance, table)).IsTrue();
    }

    [Test]
    public async Task DeployAll_through_Instance_deploys_every_function()
    {
        var runtime = new EdgeRuntime(new EdgeNode("n1", "test") { Capabilities = ["camera"] });

        Deploy(EdgeFunctionTable.Instance, runtime);

        await Assert.That(runtime.ListFunctions().Select(f => f.Id)).IsEquivalentTo(
            EdgeFunctionTable.Descriptors.Select(d => d.Id), TUnit.Assertions.Enums.CollectionOrdering.Matching);
        foreach (var descriptor in EdgeFunctionTable.Descriptors)
        {
            var function = runtime.GetFunction(descriptor.Id)!;
            await Assert.That(function.Name).IsEqualTo(descriptor.Name);
            await Assert.That(function.MemoryMb).IsEqualTo(descriptor.MemoryMb);
            await Assert.That(function.TimeoutSeconds).IsEqualTo(descriptor.TimeoutSeconds);
            await Assert.That(function.JsonHandler is not null).IsTrue();
        }

        // Deployed for real: a call goes through to the method.
        var result = new ArrayBufferWriter<byte>();
        await runtime.InvokeJsonAsync("scale", """{"values":[2,3],"factor":10}"""u8.ToArray(), result);
        await Assert.That(Encoding.UTF8.GetString(result.WrittenSpan)).IsEqualTo("[20,30]");

        // Same ids: replaced, not added twice.
        Deploy(EdgeFunctionTable.Instance, runtime);
        await Assert.That(runtime.FunctionCount).IsEqualTo(EdgeFunctionTable.Descriptors.Count);
        await Assert.That(() => EdgeFunctionTable.Instance.DeployAll(null!)).Throws<ArgumentNullException>();
    }

    // What a host does with the table it is given: it knows only the interface.
    private static void Deploy(IEdgeFunctionTable table, EdgeRuntime runtime) => table.DeployAll(runtime);
}
