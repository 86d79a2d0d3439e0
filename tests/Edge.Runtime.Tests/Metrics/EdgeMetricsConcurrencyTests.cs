using Edge.Runtime;

namespace Edge.Runtime.Tests.Metrics;

public class EdgeMetricsConcurrencyTests
{
    private const int Threads = 4;
    private const int PerThread = 25_000;

    [Test]
    public async Task Concurrent_records_sum_exactly()
    {
        var metrics = new EdgeMetrics(capacity: 512);
        using var start = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            var node = "n" + (t % 2);
            start.SignalAndWait();
            for (var i = 0; i < PerThread; i++)
            {
                metrics.Record(new InvocationRecord("f" + (i % 3), node, i % 7, i % 10 != 0));
            }
        })).ToArray();

        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        // Expected figures from the same loop, single-threaded.
        long[] perFunction = new long[3];
        long[] errorsPerFunction = new long[3];
        double latency = 0;
        for (var i = 0; i < PerThread; i++)
        {
            perFunction[i % 3]++;
            errorsPerFunction[i % 3] += i % 10 == 0 ? 1 : 0;
            latency += i % 7;
        }

        const long Total = (long)Threads * PerThread;
        await Assert.That(metrics.TotalInvocations()).IsEqualTo(Total);
        await Assert.That(metrics.ErrorCount()).IsEqualTo(Total / 10);
        await Assert.That(metrics.SuccessRate()).IsEqualTo(90.0);
        await Assert.That(metrics.AvgLatencyMs()).IsEqualTo(latency * Threads / Total);
        for (var f = 0; f < 3; f++)
        {
            await Assert.That(metrics.TotalInvocations("f" + f)).IsEqualTo(perFunction[f] * Threads);
            await Assert.That(metrics.FunctionErrorCount("f" + f)).IsEqualTo(errorsPerFunction[f] * Threads);
            await Assert.That(metrics.TotalInvocations("f" + f, "n0")).IsEqualTo(perFunction[f] * 2);
            await Assert.That(metrics.TotalInvocations("f" + f, "n1")).IsEqualTo(perFunction[f] * 2);
        }

        await Assert.That(metrics.TotalInvocations(nodeId: "n0")).IsEqualTo(Total / 2);
        await Assert.That(metrics.ErrorCount("n1")).IsEqualTo(Total / 20);
        var summary = metrics.Summary();
        await Assert.That(summary.WindowCount).IsEqualTo(512);
        await Assert.That(summary.P99Ms).IsBetween(0.0, 6.0);
        var histogram = new long[EdgeMetrics.HistogramBoundsMs.Length + 1];
        metrics.CopyHistogram(null, histogram);
        await Assert.That(histogram.Sum()).IsEqualTo(Total);
    }

    [Test]
    [Arguments(8, 20_000)]
    [Arguments(3, 50_000)]
    public async Task Random_records_from_many_threads_in_two_waves_are_exact_per_function_node_and_pair(int threads, int perThread)
    {
        var seed = Random.Shared.Next();
        Console.WriteLine($"seed {seed}, {threads} threads x {perThread} records, two waves");
        string[] functions = ["f0", "f1", "f2", "f3", "f4"];
        string[] nodes = ["n0", "n1", "n2"];
        var metrics = new EdgeMetrics(capacity: 1024);
        var expected = new long[2, functions.Length, nodes.Length];

        // Wave two runs on new threads after wave one's have ended: they adopt the stripes of the dead ones.
        for (var wave = 0; wave < 2; wave++)
        {
            var plans = Enumerable.Range(0, threads).Select(t =>
            {
                var random = new Random(seed + (wave * threads) + t);
                return Enumerable.Range(0, perThread).Select(_ => (F: random.Next(functions.Length), N: random.Next(nodes.Length), Ok: random.Next(10) != 0, Fresh: random.Next(4) == 0)).ToArray();
            }).ToArray();
            foreach (var plan in plans)
            {
                foreach (var (f, n, ok, _) in plan)
                {
                    expected[0, f, n]++;
                    expected[1, f, n] += ok ? 0 : 1;
                }
            }

            using var start = new Barrier(threads);
            var workers = plans.Select(plan => new Thread(() =>
            {
                start.SignalAndWait();
                foreach (var (f, n, ok, fresh) in plan)
                {
                    // Fresh strings miss the last-keys reference cache and take the lookup.
                    var function = fresh ? new string(functions[f].AsSpan()) : functions[f];
                    metrics.Record(new InvocationRecord(function, nodes[n], 1.0, ok));
                }
            })).ToArray();
            foreach (var worker in workers)
            {
                worker.Start();
            }

            foreach (var worker in workers)
            {
                worker.Join();
            }
        }

        long total = 0, errors = 0;
        for (var f = 0; f < functions.Length; f++)
        {
            long perFunction = 0, functionErrors = 0;
            for (var n = 0; n < nodes.Length; n++)
            {
                await Assert.That(metrics.TotalInvocations(functions[f], nodes[n])).IsEqualTo(expected[0, f, n]);
                perFunction += expected[0, f, n];
                functionErrors += expected[1, f, n];
            }

            await Assert.That(metrics.TotalInvocations(functions[f])).IsEqualTo(perFunction);
            await Assert.That(metrics.FunctionErrorCount(functions[f])).IsEqualTo(functionErrors);
            await Assert.That(metrics.AvgLatencyMs(functions[f])).IsEqualTo(1.0);
            total += perFunction;
            errors += functionErrors;
        }

        for (var n = 0; n < nodes.Length; n++)
        {
            long perNode = 0, nodeErrors = 0;
            for (var f = 0; f < functions.Length; f++)
            {
                perNode += expected[0, f, n];
                nodeErrors += expected[1, f, n];
            }

            await Assert.That(metrics.TotalInvocations(nodeId: nodes[n])).IsEqualTo(perNode);
            await Assert.That(metrics.ErrorCount(nodes[n])).IsEqualTo(nodeErrors);
        }

        await Assert.That(total).IsEqualTo(2L * threads * perThread);
        await Assert.That(metrics.TotalInvocations()).IsEqualTo(total);
        await Assert.That(metrics.ErrorCount()).IsEqualTo(errors);
        await Assert.That(metrics.Summary().TotalInvocations).IsEqualTo(total);
        await Assert.That(metrics.Summary().WindowCount).IsEqualTo(1024);
        var histogram = new long[EdgeMetrics.HistogramBoundsMs.Length + 1];
        metrics.CopyHistogram(null, histogram);
        await Assert.That(histogram.Sum()).IsEqualTo(total);
    }

    [Test]
    public async Task Queries_while_recording_stay_consistent_with_what_was_recorded()
    {
        var metrics = new EdgeMetrics(capacity: 64);
        using var done = new CancellationTokenSource();
        var writer = new Thread(() =>
        {
            for (var i = 0; i < 200_000; i++)
            {
                metrics.Record(new InvocationRecord("f", "n", 1 + (i % 5), true));
            }

            done.Cancel();
        });
        writer.Start();

        var violations = 0;
        long last = 0;
        while (!done.IsCancellationRequested)
        {
            var s = metrics.Summary();
            var total = metrics.TotalInvocations();
            violations += total < last ? 1 : 0;
            violations += s.WindowCount > 64 ? 1 : 0;
            violations += s.P50Ms is < 0.0 or > 5.0 ? 1 : 0;
            violations += s.SuccessRate != 100.0 ? 1 : 0;
            last = total;
        }

        writer.Join();
        await Assert.That(violations).IsEqualTo(0);
        await Assert.That(metrics.TotalInvocations()).IsEqualTo(200_000);
    }
}
