using Edge.Consumer;
using Edge.Consumer.Functions;
using Edge.Runtime;

namespace Edge.Consumer.Tests;

/// <summary>The generated, strongly named handles: EdgeFunctionTable.For(runtime).SensorStats and friends.</summary>
public class GeneratedAccessorTests
{
    private static EdgeRuntime Deployed()
    {
        var runtime = new EdgeRuntime(new EdgeNode("edge-01", "n") { Capabilities = ["camera"] });
        EdgeFunctionTable.DeployAll(runtime);
        return runtime;
    }

    [Test]
    public async Task Accessors_call_every_function_without_strings()
    {
        var runtime = Deployed();
        var functions = EdgeFunctionTable.For(runtime);

        await Assert.That(functions.Runtime).IsSameReferenceAs(runtime);
        await Assert.That(functions.SensorStats.Invoke([2, 4])).IsEqualTo(new Stats(2, 3, 2, 4));
        await Assert.That(functions.SensorStats.FunctionId).IsEqualTo("sensor-stats");
        await Assert.That((await functions.ProcessImage.InvokeAsync(new Frame("c", [0, 1], 5))).Label).IsEqualTo(
            (await runtime.InvokeAsync<Frame, Detection>("process-image", new Frame("c", [0, 1], 5))).Label);
        await Assert.That(functions.Checksum.Invoke([7], 1)).IsEqualTo(Sensors.Checksum([7], 1));
        await Assert.That(await functions.Scale.InvokeAsync([1, 2], 2)).IsEquivalentTo([2, 4], TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(functions.Classify.Invoke(10, Level.High)).IsEqualTo(Level.High);
        await Assert.That(functions.Greet.Invoke("Bo", "Ms")).IsEqualTo("Hello, Ms Bo!");
        functions.RecordEvent.Invoke("accessor", 3);
        await Assert.That(EventLog.Snapshot()).Contains("accessor:3");
        await functions.Flush.InvokeAsync();
        await Assert.That(await functions.Slow.InvokeAsync(0)).IsEqualTo("done");
        await Assert.That(runtime.InvocationCount("classify")).IsEqualTo(1);
        await Assert.That(runtime.InFlight).IsEqualTo(0);
    }

    [Test]
    public async Task An_accessor_resolves_once_and_keeps_its_handle()
    {
        var functions = EdgeFunctionTable.For(Deployed());

        await Assert.That(functions.Classify).IsSameReferenceAs(functions.Classify);
    }

    [Test]
    public async Task An_accessor_of_an_undeployed_function_is_function_not_found_until_it_is_deployed()
    {
        var runtime = new EdgeRuntime(new EdgeNode("edge-01", "n"));
        var functions = EdgeFunctionTable.For(runtime);

        var ex = await Assert.That(() => functions.Classify).Throws<EdgeFunctionNotFoundException>();
        await Assert.That(ex!.Message).IsEqualTo("Function not found: classify");

        runtime.Deploy(EdgeFunctionTable.Create("classify"));
        var classify = functions.Classify;
        await Assert.That(classify.Invoke(99, Level.Low)).IsEqualTo(Sensors.Classify(99, Level.Low));

        runtime.Undeploy("classify");
        await Assert.That(() => classify.Invoke(1, Level.Low)).Throws<EdgeFunctionNotFoundException>();
        runtime.Deploy(EdgeFunctionTable.Create("classify"));
        await Assert.That(functions.Classify.Invoke(1, Level.High)).IsEqualTo(Level.High);
    }

    [Test]
    public async Task Accessor_calls_allocate_nothing()
    {
        var functions = EdgeFunctionTable.For(Deployed());
        long sum = 0;
        void Loop()
        {
            for (var i = 0; i < 1000; i++)
            {
                sum += (int)functions.Classify.Invoke(i % 120, Level.Low);
                var pending = functions.Classify.InvokeAsync(i % 120, Level.Low);
                sum += pending.IsCompletedSuccessfully ? (int)pending.Result : -1_000_000;
            }
        }

        for (var i = 0; i < 3; i++)
        {
            Loop();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        Loop();
        var bytes = GC.GetAllocatedBytesForCurrentThread() - before;

        Console.WriteLine($"EdgeFunctionTable.For(runtime).Classify Invoke + InvokeAsync x1000: {bytes} bytes");
        await Assert.That(bytes).IsEqualTo(0);
        await Assert.That(sum).IsGreaterThanOrEqualTo(0);
    }
}
