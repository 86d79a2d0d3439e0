using Edge.Runtime;

namespace Edge.Runtime.Tests.Functions;

public class EdgeRuntimeConcurrencyTests
{
    private const int Threads = 4;
    private const int PerThread = 20_000;

    private static void RunOnThreads(int count, Action<int> body)
    {
        using var start = new Barrier(count);
        var threads = new Thread[count];
        var errors = new Exception?[count];
        for (var t = 0; t < count; t++)
        {
            var index = t;
            threads[t] = new Thread(() =>
            {
                try
                {
                    start.SignalAndWait();
                    body(index);
                }
                catch (Exception ex)
                {
                    errors[index] = ex;
                }
            });
            threads[t].Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        foreach (var error in errors)
        {
            if (error is not null)
            {
                throw new AggregateException(error);
            }
        }
    }

    [Test]
    public async Task Concurrent_invokes_sum_exactly()
    {
        var runtime = new EdgeRuntime(new EdgeNode("edge-01", "n"));
        runtime.Deploy(new EdgeFunction("inc", "inc", (Func<int, int>)(x => x + 1)));
        runtime.Deploy(new EdgeFunction("fail", "fail", (Func<int, int>)(x => throw new InvalidOperationException())));
        var sums = new long[Threads];

        RunOnThreads(Threads, t =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                sums[t] += runtime.Invoke<int, int>("inc", i);
                if (i % 100 == 0)
                {
                    try
                    {
                        runtime.Invoke<int, int>("fail", i);
                    }
                    catch (EdgeExecutionException)
                    {
                        sums[t] -= 1_000_000_000;
                    }
                }
            }
        });

        const long Failures = PerThread / 100;
        const long Each = (((long)PerThread * (PerThread + 1)) / 2) - (Failures * 1_000_000_000);
        await Assert.That(sums.Sum()).IsEqualTo(Each * Threads);
        await Assert.That(runtime.TotalInvocations).IsEqualTo((PerThread + Failures) * Threads);
        await Assert.That(runtime.InvocationCount("inc")).IsEqualTo((long)PerThread * Threads);
        await Assert.That(runtime.Metrics.TotalInvocations("inc", "edge-01")).IsEqualTo((long)PerThread * Threads);
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(Failures * Threads);
        await Assert.That(runtime.Metrics.TotalInvocations()).IsEqualTo((PerThread + Failures) * Threads);
        await Assert.That(runtime.ColdStartCount).IsEqualTo(2);
        await Assert.That(runtime.InFlight).IsEqualTo(0);
    }

    [Test]
    public async Task Concurrent_async_invokes_sum_exactly()
    {
        var runtime = new EdgeRuntime(new EdgeNode("edge-01", "n"));
        runtime.Deploy(new EdgeFunction("sq", "sq", (Func<int, CancellationToken, ValueTask<long>>)(async (x, ct) =>
        {
            await Task.Yield();
            return (long)x * x;
        })));

        var tasks = Enumerable.Range(0, Threads).Select(t => Task.Run(async () =>
        {
            long sum = 0;
            for (var i = 1; i <= 2_000; i++)
            {
                sum += await runtime.InvokeAsync<int, long>("sq", i);
            }

            return sum;
        }));
        var sums = await Task.WhenAll(tasks);

        const long Expected = 2_000L * 2_001 * 4_001 / 6;
        await Assert.That(sums.All(s => s == Expected)).IsTrue();
        await Assert.That(runtime.TotalInvocations).IsEqualTo(2_000L * Threads);
        await Assert.That(runtime.Metrics.SuccessRate("sq")).IsEqualTo(100.0);
        await Assert.That(runtime.InFlight).IsEqualTo(0);
    }

    [Test]
    public async Task Redeploys_during_concurrent_invokes_lose_no_counts()
    {
        var runtime = new EdgeRuntime(new EdgeNode("edge-01", "n"));
        runtime.Deploy(new EdgeFunction("f", "v0", (Func<int, int>)(x => 1)));
        using var stop = new CancellationTokenSource();
        long invoked = 0;

        var redeployer = new Thread(() =>
        {
            var version = 0;
            while (!stop.IsCancellationRequested)
            {
                runtime.Deploy(new EdgeFunction("f", $"v{++version}", (Func<int, int>)(x => 1)));
                runtime.Deploy(new EdgeFunction("other" + (version % 8), "o", (Func<int>)(() => 0)));
            }
        });
        redeployer.Start();
        RunOnThreads(3, _ =>
        {
            long mine = 0;
            for (var i = 0; i < 10_000; i++)
            {
                mine += runtime.Invoke<int, int>("f", i);
            }

            Interlocked.Add(ref invoked, mine);
        });
        await stop.CancelAsync();
        redeployer.Join();

        await Assert.That(invoked).IsEqualTo(30_000);
        await Assert.That(runtime.InvocationCount("f")).IsEqualTo(30_000);
        await Assert.That(runtime.Metrics.TotalInvocations("f")).IsEqualTo(30_000);
        await Assert.That(runtime.TotalInvocations).IsEqualTo(30_000);
        await Assert.That(runtime.FunctionCount).IsBetween(2, 9);
    }

    [Test]
    public async Task Concurrent_first_invocations_count_one_cold_start()
    {
        var runtime = new EdgeRuntime(new EdgeNode("edge-01", "n"));
        for (var f = 0; f < 50; f++)
        {
            runtime.Deploy(new EdgeFunction($"f{f}", "f", (Func<int>)(() => 1)));
        }

        RunOnThreads(Threads, _ =>
        {
            for (var f = 0; f < 50; f++)
            {
                runtime.Invoke<int>($"f{f}");
                runtime.WarmUp($"f{f}");
            }
        });

        await Assert.That(runtime.ColdStartCount).IsEqualTo(50);
        await Assert.That(runtime.TotalInvocations).IsEqualTo(50L * Threads);
    }
}
