using System.Buffers;
using Edge.Runtime;

namespace Edge.Runtime.Tests.Functions;

/// <summary>
/// A handler that refuses an argument value throws <see cref="EdgeBindingException"/>: the runtime passes that very
/// exception on (typed and JSON paths, sync and async), while anything else a handler throws is wrapped as
/// <see cref="EdgeExecutionException"/>.
/// </summary>
public class HandlerBindingExceptionTests
{
    private static readonly EdgeBindingException Refusal = new("f", "n", "must be at least 1 (got 0)");

    private static EdgeRuntime Runtime(EdgeFunction function)
    {
        var runtime = new EdgeRuntime(new EdgeNode("edge-01", "n"));
        runtime.Deploy(function);
        return runtime;
    }

    [Test]
    public async Task Sync_typed_invoke_passes_the_handlers_binding_exception_through_unwrapped()
    {
        var runtime = Runtime(new EdgeFunction("f", "f", (Func<int, int>)(n => n < 1 ? throw Refusal : n)));

        var thrown = await Assert.That(() => runtime.Invoke<int, int>("f", 0)).Throws<EdgeBindingException>();
        await Assert.That(thrown).IsSameReferenceAs(Refusal);
        await Assert.That(runtime.Invoke<int, int>("f", 2)).IsEqualTo(2);
    }

    [Test]
    public async Task Async_typed_invoke_passes_it_through_when_the_handler_throws_after_awaiting()
    {
        var runtime = Runtime(new EdgeFunction("f", "f", (Func<int, CancellationToken, Task<int>>)(async (n, ct) =>
        {
            await Task.Yield();
            return n < 1 ? throw Refusal : n;
        })));

        var thrown = await Assert.That(async () => await runtime.InvokeAsync<int, int>("f", 0)).Throws<EdgeBindingException>();
        await Assert.That(thrown).IsSameReferenceAs(Refusal);
        var syncThrown = await Assert.That(() => runtime.Invoke<int, int>("f", 0)).Throws<EdgeBindingException>();
        await Assert.That(syncThrown).IsSameReferenceAs(Refusal);
        await Assert.That(await runtime.InvokeAsync<int, int>("f", 3)).IsEqualTo(3);
    }

    [Test]
    public async Task The_json_path_passes_it_through_and_writes_nothing()
    {
        var runtime = Runtime(new EdgeFunction("f", "f", (Func<int>)(() => 0))
        {
            JsonHandler = static async (args, result, ct) =>
            {
                await Task.Yield();
                result.Write("partial"u8);
                throw Refusal;
            },
        });
        var output = new ArrayBufferWriter<byte>();

        var thrown = await Assert.That(async () => await runtime.InvokeJsonAsync("f", "{\"n\":0}"u8.ToArray(), output)).Throws<EdgeBindingException>();
        await Assert.That(thrown).IsSameReferenceAs(Refusal);
        await Assert.That(output.WrittenCount).IsEqualTo(0);
    }

    [Test]
    public async Task Other_exceptions_from_a_handler_are_still_execution_failures()
    {
        var inner = new ArgumentOutOfRangeException("n");
        var runtime = Runtime(new EdgeFunction("f", "f", (Func<int, int>)(_ => throw inner)));

        var thrown = await Assert.That(() => runtime.Invoke<int, int>("f", 0)).Throws<EdgeExecutionException>();
        await Assert.That(thrown!.InnerException).IsSameReferenceAs(inner);
        var thrownAsync = await Assert.That(async () => await runtime.InvokeAsync<int, int>("f", 0)).Throws<EdgeExecutionException>();
        await Assert.That(thrownAsync!.InnerException).IsSameReferenceAs(inner);
    }

    [Test]
    public async Task A_refused_argument_is_recorded_as_a_failed_invocation()
    {
        var metrics = new EdgeMetrics();
        var runtime = new EdgeRuntime(new EdgeNode("edge-01", "n"), metrics);
        runtime.Deploy(new EdgeFunction("f", "f", (Func<int, int>)(n => n < 1 ? throw Refusal : n)));

        await Assert.That(() => runtime.Invoke<int, int>("f", 0)).Throws<EdgeBindingException>();
        runtime.Invoke<int, int>("f", 1);

        await Assert.That(metrics.TotalInvocations("f")).IsEqualTo(2);
        await Assert.That(metrics.ErrorCount()).IsEqualTo(1);
    }
}
