using Edge.Runtime;

namespace Edge.Runtime.Tests.Functions;

/// <summary>Steady-state typed invocation allocates nothing (GC.GetAllocatedBytesForCurrentThread around a loop).</summary>
public class InvokeAllocationTests
{
    private const int Calls = 1000;

    private static readonly Func<int, int> Increment = static x => x + 1;

    private static EdgeRuntime Warm(Delegate handler)
    {
        var runtime = new EdgeRuntime(new EdgeNode("edge-01", "n"));
        runtime.Deploy(new EdgeFunction("f", "f", handler));
        return runtime;
    }

    private static long Measure(Action loop)
    {
        for (var i = 0; i < 3; i++)
        {
            loop();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        loop();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Test]
    public async Task Typed_invoke_of_a_func_int_int_allocates_nothing()
    {
        var runtime = Warm(Increment);
        var sum = 0L;

        var bytes = Measure(() =>
        {
            for (var i = 0; i < Calls; i++)
            {
                sum += runtime.Invoke<int, int>("f", i);
            }
        });

        Console.WriteLine($"Invoke<int,int> x{Calls}: {bytes} bytes");
        await Assert.That(bytes).IsEqualTo(0);
        await Assert.That(sum).IsEqualTo(4L * ((Calls * (Calls + 1L)) / 2));
        await Assert.That(runtime.Metrics.TotalInvocations("f")).IsEqualTo(4L * Calls);
    }

    [Test]
    public async Task Typed_invoke_at_arity_0_and_2_allocates_nothing()
    {
        var zero = Warm((Func<int>)(static () => 7));
        var two = Warm((Func<int, long, long>)(static (a, b) => a + b));
        long sum = 0;

        var bytes = Measure(() =>
        {
            for (var i = 0; i < Calls; i++)
            {
                sum += zero.Invoke<int>("f");
                sum += two.Invoke<int, long, long>("f", i, 1L);
            }
        });

        Console.WriteLine($"Invoke<int> + Invoke<int,long,long> x{Calls}: {bytes} bytes");
        await Assert.That(bytes).IsEqualTo(0);
    }

    [Test]
    public async Task Synchronously_completing_InvokeAsync_allocates_nothing()
    {
        var runtime = Warm(Increment);
        long sum = 0;

        var bytes = Measure(() =>
        {
            for (var i = 0; i < Calls; i++)
            {
                var pending = runtime.InvokeAsync<int, int>("f", i);
                sum += pending.IsCompletedSuccessfully ? pending.Result : -1_000_000;
            }
        });

        Console.WriteLine($"InvokeAsync<int,int> (sync handler) x{Calls}: {bytes} bytes");
        await Assert.That(bytes).IsEqualTo(0);
        await Assert.That(sum).IsGreaterThan(0);
    }

    [Test]
    public async Task Token_taking_sync_handler_reuses_its_deadline_source()
    {
        var runtime = Warm((Func<int, CancellationToken, int>)(static (x, ct) => ct.IsCancellationRequested ? -1 : x));
        long sum = 0;

        var bytes = Measure(() =>
        {
            for (var i = 0; i < Calls; i++)
            {
                sum += runtime.Invoke<int, int>("f", 1);
            }
        });

        Console.WriteLine($"Invoke<int,int> with deadline token x{Calls}: {bytes} bytes");
        await Assert.That(sum).IsEqualTo(4L * Calls);
        await Assert.That(bytes).IsEqualTo(0);
    }
}
