using System.Buffers;
using System.Text;
using Edge.Runtime;

namespace MyNode.Tests;

/// <summary>One test per function, through the runtime the node uses: typed and as JSON (what HTTP and MQTT send).</summary>
public class FunctionsTests
{
    private static EdgeRuntime Deployed()
    {
        var runtime = new EdgeRuntime(new EdgeNode("test", "test"));
        // The node's table (this test project, which sees the generator too, has an empty one of its own).
        global::MyNode.EdgeFunctionTable.DeployAll(runtime);
        return runtime;
    }

    private static async Task<string> InvokeJsonAsync(EdgeRuntime runtime, string id, string json)
    {
        var result = new ArrayBufferWriter<byte>();
        await runtime.InvokeJsonAsync(id, Encoding.UTF8.GetBytes(json), result);
        return Encoding.UTF8.GetString(result.WrittenSpan);
    }

    [Test]
    public async Task Mean_averages_the_readings_and_is_zero_for_none()
    {
        var runtime = Deployed();
        await Assert.That(runtime.Invoke<double[], double>("mean", [1, 2, 3, 6])).IsEqualTo(3.0);
        await Assert.That(await InvokeJsonAsync(runtime, "mean", """{"readings":[]}""")).IsEqualTo("0");
    }

    [Test]
    public async Task Count_over_counts_readings_above_the_threshold()
    {
        var runtime = Deployed();
        await Assert.That(await runtime.InvokeAsync<double[], double, int>("count-over", [1, 5, 7, 9], 5)).IsEqualTo(2);
        await Assert.That(await InvokeJsonAsync(runtime, "count-over", """{"readings":[10,20],"threshold":15}""")).IsEqualTo("1");
    }
}
