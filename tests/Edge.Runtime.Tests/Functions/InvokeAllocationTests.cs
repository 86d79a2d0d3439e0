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

    [Test]
    public async Task Handle_invoke_at_every_arity_allocates_nothing()
    {
        var runtime = new EdgeRuntime(new EdgeNode("edge-01", "n"));
        runtime.Deploy(new EdgeFunction("f0", "f0", (Func<int>)(static () => 7)));
        runtime.Deploy(new EdgeFunction("f1", "f1", Increment));
        runtime.Deploy(new EdgeFunction("f2", "f2", (Func<int, long, long>)(static (a, b) => a + b)));
        runtime.Deploy(new EdgeFunction("f3", "f3", (Func<int, int, int, int>)(static (a, b, c) => a + b + c)));
        runtime.Deploy(new EdgeFunction("f4", "f4", (Func<int, int, int, int, int>)(static (a, b, c, d) => a + b + c + d)));
        var f0 = runtime.Resolve<int>("f0");
        var f1 = runtime.Resolve<int, int>("f1");
        var f2 = runtime.Resolve<int, long, long>("f2");
        var f3 = runtime.Resolve<int, int, int, int>("f3");
        var f4 = runtime.Resolve<int, int, int, int, int>("f4");
        long sum = 0;

        var bytes = Measure(() =>
        {
            for (var i = 0; i < Calls; i++)
            {
                sum += f0.Invoke() + f1.Invoke(i) + f2.Invoke(i, 1L) + f3.Invoke(i, 1, 2) + f4.Invoke(i, 1, 2, 3);
            }
        });

        Console.WriteLine($"handle Invoke, arities 0-4, x{Calls}: {bytes} bytes");
        await Assert.That(bytes).IsEqualTo(0);
        await Assert.That(runtime.Metrics.TotalInvocations("f4")).IsEqualTo(4L * Calls);
    }

    [Test]
    public async Task Handle_invoke_of_a_token_taking_handler_allocates_nothing()
    {
        var runtime = Warm((Func<int, CancellationToken, int>)(static (x, ct) => ct.IsCancellationRequested ? -1 : x));
        var f = runtime.Resolve<int, int>("f");
        long sum = 0;

        var bytes = Measure(() =>
        {
            for (var i = 0; i < Calls; i++)
            {
                sum += f.Invoke(1);
            }
        });

        Console.WriteLine($"handle Invoke with deadline token x{Calls}: {bytes} bytes");
        await Assert.That(sum).IsEqualTo(4L * Calls);
        await Assert.That(bytes).IsEqualTo(0);
    }

    [Test]
    public async Task Handle_InvokeAsync_completing_synchronously_allocates_nothing_with_or_without_a_token()
    {
        var runtime = new EdgeRuntime(new EdgeNode("edge-01", "n"));
        runtime.Deploy(new EdgeFunction("plain", "plain", Increment));
        runtime.Deploy(new EdgeFunction("token", "token", (Func<int, CancellationToken, ValueTask<int>>)(static (x, ct) => new(ct.IsCancellationRequested ? -1 : x))));
        var plain = runtime.Resolve<int, int>("plain");
        var token = runtime.Resolve<int, int>("token");
        using var caller = new CancellationTokenSource();
        long sum = 0;

        var bytes = Measure(() =>
        {
            for (var i = 0; i < Calls; i++)
            {
                var a = plain.InvokeAsync(i);
                var b = token.InvokeAsync(1, caller.Token);
                sum += (a.IsCompletedSuccessfully ? a.Result : -1_000_000) + (b.IsCompletedSuccessfully ? b.Result : -1_000_000);
            }
        });

        Console.WriteLine($"handle InvokeAsync (sync handler, token handler with a caller token) x{Calls}: {bytes} bytes");
        await Assert.That(bytes).IsEqualTo(0);
        await Assert.That(sum).IsGreaterThan(0);
        await Assert.That(runtime.CancelledCount).IsEqualTo(0);
    }

    [Test]
    public async Task By_id_InvokeAsync_of_a_token_taking_handler_with_a_caller_token_allocates_nothing()
    {
        var runtime = Warm((Func<int, CancellationToken, ValueTask<int>>)(static (x, ct) => new(ct.IsCancellationRequested ? -1 : x)));
        using var caller = new CancellationTokenSource();
        long sum = 0;

        var bytes = Measure(() =>
        {
            for (var i = 0; i < Calls; i++)
            {
                var pending = runtime.InvokeAsync<int, int>("f", 1, caller.Token);
                sum += pending.IsCompletedSuccessfully ? pending.Result : -1_000_000;
            }
        });

        Console.WriteLine($"InvokeAsync<int,int> (token handler, caller token) x{Calls}: {bytes} bytes");
        await Assert.That(bytes).IsEqualTo(0);
        await Assert.That(sum).IsEqualTo(4L * Calls);
    }
}
