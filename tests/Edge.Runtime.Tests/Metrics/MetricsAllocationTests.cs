using Edge.Runtime;

namespace Edge.Runtime.Tests.Metrics;

/// <summary>EdgeMetrics.Record and every query allocate nothing once functions and nodes have been seen.</summary>
public class MetricsAllocationTests
{
    private const int Calls = 1000;

    private static EdgeMetrics Warm()
    {
        var metrics = new EdgeMetrics();
        for (var i = 0; i < 5000; i++)
        {
            metrics.Record(new InvocationRecord("fn-" + (i % 2), "edge-0" + (i % 3), i % 50, i % 9 != 0));
        }

        return metrics;
    }

    [Test]
    public async Task Record_allocates_nothing_after_warm_up()
    {
        var metrics = Warm();
        string[] functions = ["fn-0", "fn-1"];
        string[] nodes = ["edge-00", "edge-01", "edge-02"];
        Loop(metrics, functions, nodes);

        var before = GC.GetAllocatedBytesForCurrentThread();
        Loop(metrics, functions, nodes);
        var bytes = GC.GetAllocatedBytesForCurrentThread() - before;

        Console.WriteLine($"EdgeMetrics.Record x{Calls}: {bytes} bytes");
        await Assert.That(bytes).IsEqualTo(0);
        await Assert.That(metrics.TotalInvocations()).IsEqualTo(5000 + (2 * Calls));

        static void Loop(EdgeMetrics metrics, string[] functions, string[] nodes)
        {
            for (var i = 0; i < Calls; i++)
            {
                metrics.Record(new InvocationRecord(functions[i % 2], nodes[i % 3], i * 0.5, i % 4 != 0));
            }
        }
    }

    [Test]
    public async Task Queries_allocate_nothing_after_warm_up()
    {
        var metrics = Warm();
        const int Rounds = 200;
        double sink = 0;
        Loop();

        var before = GC.GetAllocatedBytesForCurrentThread();
        Loop();
        var bytes = GC.GetAllocatedBytesForCurrentThread() - before;

        Console.WriteLine($"EdgeMetrics queries (14 kinds, 4096-record window) x{Rounds}: {bytes} bytes");
        await Assert.That(bytes).IsEqualTo(0);
        await Assert.That(sink).IsGreaterThan(0.0);

        void Loop()
        {
            for (var i = 0; i < Rounds; i++)
            {
                sink += metrics.TotalInvocations();
                sink += metrics.TotalInvocations("fn-1");
                sink += metrics.TotalInvocations(nodeId: "edge-01");
                sink += metrics.TotalInvocations("fn-0", "edge-02");
                sink += metrics.SuccessRate();
                sink += metrics.SuccessRate("fn-0");
                sink += metrics.AvgLatencyMs();
                sink += metrics.AvgLatencyMs("fn-1");
                sink += metrics.ErrorCount();
                sink += metrics.ErrorCount("edge-00");
                sink += metrics.FunctionErrorCount("fn-1");
                sink += metrics.Summary().P99Ms;
                sink += metrics.Summary("fn-0").P50Ms;
                sink += metrics.Percentile(0.9);
            }
        }
    }
}
