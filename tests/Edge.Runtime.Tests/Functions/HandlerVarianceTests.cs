namespace Edge.Runtime.Tests.Functions;

/// <summary>A Func returning Task is also a Func returning object (delegate variance): it must still be awaited.</summary>
public class HandlerVarianceTests
{
    [Test]
    public async Task Void_task_handler_called_with_object_result_is_awaited_not_returned()
    {
        var done = 0;
        var runtime = new EdgeRuntime(new EdgeNode("n", "n"));
        runtime.Deploy(new EdgeFunction("flush", "flush", (Func<int, Task>)(async n =>
        {
            await Task.Yield();
            Interlocked.Add(ref done, n);
        })));

        var result = await runtime.InvokeAsync<int, object?>("flush", 3);

        await Assert.That(result).IsNull();
        await Assert.That(Volatile.Read(ref done)).IsEqualTo(3);
    }

    [Test]
    public async Task Exact_func_shape_still_returns_its_value()
    {
        var runtime = new EdgeRuntime(new EdgeNode("n", "n"));
        runtime.Deploy(new EdgeFunction("name", "name", (Func<string, object>)(s => s.ToUpperInvariant())));

        await Assert.That(runtime.Invoke<string, object>("name", "pi")).IsEqualTo("PI");
    }
}
