using Edge.Runtime;

namespace Edge.Runtime.Tests.Metrics;

public class EdgeMetricsTests
{
    private static InvocationRecord Ok(string fn, string node, double ms) => new(fn, node, ms, true);

    private static InvocationRecord Fail(string fn, string node, double ms) => new(fn, node, ms, false) { Error = "boom" };

    [Test]
    public async Task Spec_example()
    {
        var metrics = new EdgeMetrics();

        metrics.Record(new InvocationRecord(FunctionId: "fn-1", NodeId: "edge-01", DurationMs: 42.5, Success: true));

        await Assert.That(metrics.TotalInvocations()).IsEqualTo(1);
        await Assert.That(metrics.TotalInvocations(functionId: "fn-1")).IsEqualTo(1);
        await Assert.That(metrics.SuccessRate()).IsEqualTo(100.0);
        await Assert.That(metrics.AvgLatencyMs()).IsEqualTo(42.5);
        await Assert.That(metrics.ErrorCount()).IsEqualTo(0);
        var summary = metrics.Summary();
        await Assert.That(summary.TotalInvocations).IsEqualTo(1);
        await Assert.That(summary.SuccessRate).IsEqualTo(100.0);
        await Assert.That(summary.AvgLatencyMs).IsEqualTo(42.5);
        await Assert.That(summary.ErrorCount).IsEqualTo(0);
        await Assert.That(summary.P50Ms).IsEqualTo(42.5);
    }

    [Test]
    public async Task Empty_metrics()
    {
        var metrics = new EdgeMetrics();

        await Assert.That(metrics.TotalInvocations()).IsEqualTo(0);
        await Assert.That(metrics.TotalInvocations("f", "n")).IsEqualTo(0);
        await Assert.That(metrics.SuccessRate()).IsEqualTo(100.0);
        await Assert.That(metrics.SuccessRate("unknown")).IsEqualTo(100.0);
        await Assert.That(metrics.AvgLatencyMs()).IsEqualTo(0.0);
        await Assert.That(metrics.AvgLatencyMs("unknown")).IsEqualTo(0.0);
        await Assert.That(metrics.ErrorCount()).IsEqualTo(0);
        await Assert.That(metrics.ErrorCount("n")).IsEqualTo(0);
        await Assert.That(metrics.FunctionErrorCount("f")).IsEqualTo(0);
        await Assert.That(metrics.Percentile(0.5)).IsEqualTo(0.0);
        await Assert.That(metrics.FunctionIds.Count).IsEqualTo(0);
        await Assert.That(metrics.Summary()).IsEqualTo(new MetricsSummary(0, 100.0, 0.0, 0, 0.0, 0.0, 0.0, 0));
        await Assert.That(metrics.Capacity).IsEqualTo(4096);
    }

    [Test]
    [Arguments(0)]
    [Arguments(-5)]
    public async Task Capacity_must_be_positive(int capacity)
    {
        await Assert.That(() => new EdgeMetrics(capacity)).Throws<ArgumentOutOfRangeException>();
    }

    [Test]
    public async Task Totals_per_function_node_and_pair()
    {
        var metrics = new EdgeMetrics();
        metrics.Record(Ok("a", "n1", 1));
        metrics.Record(Ok("a", "n1", 1));
        metrics.Record(Ok("a", "n2", 1));
        metrics.Record(Fail("b", "n1", 1));
        metrics.Record(Ok("b", "n2", 1));
        metrics.Record(Fail("b", "n2", 1));

        await Assert.That(metrics.TotalInvocations()).IsEqualTo(6);
        await Assert.That(metrics.TotalInvocations("a")).IsEqualTo(3);
        await Assert.That(metrics.TotalInvocations("b")).IsEqualTo(3);
        await Assert.That(metrics.TotalInvocations(nodeId: "n1")).IsEqualTo(3);
        await Assert.That(metrics.TotalInvocations(nodeId: "n2")).IsEqualTo(3);
        await Assert.That(metrics.TotalInvocations("a", "n1")).IsEqualTo(2);
        await Assert.That(metrics.TotalInvocations("a", "n2")).IsEqualTo(1);
        await Assert.That(metrics.TotalInvocations("b", "n2")).IsEqualTo(2);
        await Assert.That(metrics.TotalInvocations("a", "n3")).IsEqualTo(0);
        await Assert.That(metrics.TotalInvocations("c")).IsEqualTo(0);
        await Assert.That(metrics.ErrorCount()).IsEqualTo(2);
        await Assert.That(metrics.ErrorCount("n1")).IsEqualTo(1);
        await Assert.That(metrics.ErrorCount("n2")).IsEqualTo(1);
        await Assert.That(metrics.FunctionErrorCount("a")).IsEqualTo(0);
        await Assert.That(metrics.FunctionErrorCount("b")).IsEqualTo(2);
        await Assert.That(metrics.FunctionIds.OrderBy(x => x, StringComparer.Ordinal)).IsEquivalentTo(new[] { "a", "b" });
    }

    [Test]
    public async Task Success_rate_is_a_percentage()
    {
        var metrics = new EdgeMetrics();
        metrics.Record(Ok("a", "n", 1));
        metrics.Record(Ok("a", "n", 1));
        metrics.Record(Ok("a", "n", 1));
        metrics.Record(Fail("a", "n", 1));
        metrics.Record(Fail("b", "n", 1));

        await Assert.That(metrics.SuccessRate()).IsEqualTo(60.0);
        await Assert.That(metrics.SuccessRate("a")).IsEqualTo(75.0);
        await Assert.That(metrics.SuccessRate("b")).IsEqualTo(0.0);
        await Assert.That(metrics.Summary("a").SuccessRate).IsEqualTo(75.0);
    }

    [Test]
    public async Task Average_latency_overall_and_per_function()
    {
        var metrics = new EdgeMetrics();
        metrics.Record(Ok("a", "n", 10));
        metrics.Record(Ok("a", "n", 20));
        metrics.Record(Fail("b", "n", 90));

        await Assert.That(metrics.AvgLatencyMs()).IsEqualTo(40.0);
        await Assert.That(metrics.AvgLatencyMs("a")).IsEqualTo(15.0);
        await Assert.That(metrics.AvgLatencyMs("b")).IsEqualTo(90.0);
        await Assert.That(metrics.Summary("b").AvgLatencyMs).IsEqualTo(90.0);
    }

    [Test]
    public async Task Percentiles_over_1_to_100()
    {
        var metrics = new EdgeMetrics();
        var values = Enumerable.Range(1, 100).ToArray();
        new Random(42).Shuffle(values);
        foreach (var v in values)
        {
            metrics.Record(Ok("f", "n", v));
        }

        var s = metrics.Summary();

        await Assert.That(s.WindowCount).IsEqualTo(100);
        await Assert.That(s.P50Ms).IsEqualTo(50.5).Within(1e-9);
        await Assert.That(s.P95Ms).IsEqualTo(95.05).Within(1e-9);
        await Assert.That(s.P99Ms).IsEqualTo(99.01).Within(1e-9);
        await Assert.That(metrics.Percentile(0.0)).IsEqualTo(1.0);
        await Assert.That(metrics.Percentile(1.0)).IsEqualTo(100.0);
        await Assert.That(metrics.Percentile(0.25)).IsEqualTo(25.75).Within(1e-9);
        await Assert.That(metrics.Percentile(0.5, "f")).IsEqualTo(50.5).Within(1e-9);
    }

    [Test]
    public async Task Percentiles_interpolate_between_closest_ranks()
    {
        var metrics = new EdgeMetrics();
        foreach (var v in new[] { 40.0, 10.0, 30.0, 20.0 })
        {
            metrics.Record(Ok("f", "n", v));
        }

        var s = metrics.Summary();

        await Assert.That(s.P50Ms).IsEqualTo(25.0).Within(1e-9);
        await Assert.That(s.P95Ms).IsEqualTo(38.5).Within(1e-9);
        await Assert.That(s.P99Ms).IsEqualTo(39.7).Within(1e-9);
    }

    [Test]
    public async Task Percentiles_with_duplicates_and_a_single_value()
    {
        var single = new EdgeMetrics();
        single.Record(Ok("f", "n", 5));
        var dupes = new EdgeMetrics();
        foreach (var v in new[] { 7.0, 7.0, 7.0, 1.0, 7.0, 100.0 })
        {
            dupes.Record(Ok("f", "n", v));
        }

        await Assert.That(single.Summary()).IsEqualTo(new MetricsSummary(1, 100.0, 5.0, 0, 5.0, 5.0, 5.0, 1));
        await Assert.That(dupes.Summary().P50Ms).IsEqualTo(7.0);
        await Assert.That(dupes.Summary().P95Ms).IsEqualTo(76.75).Within(1e-9);
        await Assert.That(dupes.Percentile(0.1)).IsEqualTo(4.0).Within(1e-9);
    }

    [Test]
    public async Task Percentiles_per_function_only_see_that_function()
    {
        var metrics = new EdgeMetrics();
        for (var i = 1; i <= 10; i++)
        {
            metrics.Record(Ok("fast", "n", i));
            metrics.Record(Ok("slow", "n", 1000 + i));
        }

        var fast = metrics.Summary("fast");
        var slow = metrics.Summary("slow");

        await Assert.That(fast.WindowCount).IsEqualTo(10);
        await Assert.That(fast.P99Ms).IsLessThanOrEqualTo(10.0);
        await Assert.That(fast.P50Ms).IsEqualTo(5.5).Within(1e-9);
        await Assert.That(slow.P50Ms).IsEqualTo(1005.5).Within(1e-9);
        await Assert.That(metrics.Summary("none")).IsEqualTo(new MetricsSummary(0, 100.0, 0.0, 0, 0.0, 0.0, 0.0, 0));
        await Assert.That(metrics.Summary().WindowCount).IsEqualTo(20);
    }

    [Test]
    [Arguments(1)]
    [Arguments(2)]
    [Arguments(3)]
    [Arguments(4)]
    [Arguments(5)]
    public async Task Percentiles_match_a_full_sort_on_random_windows(int seed)
    {
        var random = new Random(seed);
        var mismatches = new List<string>();
        foreach (var size in new[] { 1, 2, 3, 7, 20, 99, 100, 101, 257, 1000 })
        {
            var metrics = new EdgeMetrics(capacity: 512);
            var values = new double[size];
            for (var i = 0; i < size; i++)
            {
                // Few distinct values in some windows, so ties are exercised too.
                values[i] = seed % 2 == 0 ? random.Next(0, 5) : Math.Round(random.NextDouble() * 1000, 3);
                metrics.Record(new InvocationRecord(i % 3 == 0 ? "a" : "b", "n", values[i], true));
            }

            var window = values.Skip(Math.Max(0, size - 512)).ToArray();
            var windowA = values.Select((v, i) => (v, i)).Where(x => x.i % 3 == 0 && x.i >= size - 512).Select(x => x.v).ToArray();
            var summary = metrics.Summary();
            var summaryA = metrics.Summary("a");
            Check($"n={size} p50", Reference(window, 0.50), summary.P50Ms);
            Check($"n={size} p95", Reference(window, 0.95), summary.P95Ms);
            Check($"n={size} p99", Reference(window, 0.99), summary.P99Ms);
            Check($"n={size} a p50", Reference(windowA, 0.50), summaryA.P50Ms);
            Check($"n={size} a p99", Reference(windowA, 0.99), summaryA.P99Ms);
            foreach (var q in new[] { 0.0, 0.1, 0.333, 0.5, 0.9, 0.999, 1.0 })
            {
                Check($"n={size} q={q}", Reference(window, q), metrics.Percentile(q));
            }
        }

        await Assert.That(string.Join("; ", mismatches)).IsEqualTo("");

        void Check(string what, double expected, double actual)
        {
            if (Math.Abs(expected - actual) > 1e-9)
            {
                mismatches.Add($"{what}: expected {expected}, got {actual}");
            }
        }

        static double Reference(double[] data, double q)
        {
            if (data.Length == 0)
            {
                return 0.0;
            }

            var sorted = data.Order().ToArray();
            var rank = q * (sorted.Length - 1);
            var lower = (int)Math.Floor(rank);
            var upper = Math.Min(lower + 1, sorted.Length - 1);
            return sorted[lower] + ((sorted[upper] - sorted[lower]) * (rank - lower));
        }
    }

    [Test]
    [Arguments(-0.01)]
    [Arguments(1.01)]
    public async Task Percentile_quantile_must_be_within_0_and_1(double q)
    {
        var metrics = new EdgeMetrics();

        await Assert.That(() => metrics.Percentile(q)).Throws<ArgumentOutOfRangeException>();
    }

    [Test]
    public async Task Ring_window_wraps_while_lifetime_counters_stay_exact()
    {
        var metrics = new EdgeMetrics(capacity: 4);
        for (var i = 1; i <= 10; i++)
        {
            metrics.Record(i % 5 == 0 ? Fail("f", "n", i) : Ok("f", "n", i));
        }

        var s = metrics.Summary();

        await Assert.That(metrics.Capacity).IsEqualTo(4);
        await Assert.That(s.WindowCount).IsEqualTo(4);
        await Assert.That(s.TotalInvocations).IsEqualTo(10);
        await Assert.That(s.ErrorCount).IsEqualTo(2);
        await Assert.That(s.SuccessRate).IsEqualTo(80.0);
        await Assert.That(s.AvgLatencyMs).IsEqualTo(5.5);
        await Assert.That(s.P50Ms).IsEqualTo(8.5).Within(1e-9);
        await Assert.That(metrics.Percentile(0.0)).IsEqualTo(7.0);
        await Assert.That(metrics.Percentile(1.0)).IsEqualTo(10.0);
    }

    [Test]
    public async Task Ring_window_wrap_with_several_functions()
    {
        var metrics = new EdgeMetrics(capacity: 3);
        metrics.Record(Ok("a", "n", 1));
        metrics.Record(Ok("a", "n", 2));
        metrics.Record(Ok("b", "n", 100));
        metrics.Record(Ok("a", "n", 3));
        metrics.Record(Ok("a", "n", 4));

        await Assert.That(metrics.Summary("a").WindowCount).IsEqualTo(2);
        await Assert.That(metrics.Summary("a").P50Ms).IsEqualTo(3.5).Within(1e-9);
        await Assert.That(metrics.Summary("b").WindowCount).IsEqualTo(1);
        await Assert.That(metrics.TotalInvocations("a")).IsEqualTo(4);
        await Assert.That(metrics.AvgLatencyMs("a")).IsEqualTo(2.5);

        metrics.Record(Ok("a", "n", 5));

        await Assert.That(metrics.Summary("b").WindowCount).IsEqualTo(0);
        await Assert.That(metrics.Summary("b").P50Ms).IsEqualTo(0.0);
        await Assert.That(metrics.TotalInvocations("b")).IsEqualTo(1);
        await Assert.That(metrics.AvgLatencyMs("b")).IsEqualTo(100.0);
    }

    [Test]
    public async Task Capacity_one_keeps_only_the_latest()
    {
        var metrics = new EdgeMetrics(capacity: 1);
        metrics.Record(Ok("f", "n", 3));
        metrics.Record(Ok("f", "n", 9));

        await Assert.That(metrics.Summary()).IsEqualTo(new MetricsSummary(2, 100.0, 6.0, 0, 9.0, 9.0, 9.0, 1));
    }

    [Test]
    public async Task Histogram_buckets_by_upper_bound()
    {
        var metrics = new EdgeMetrics();
        var bounds = EdgeMetrics.HistogramBoundsMs.ToArray();
        metrics.Record(Ok("f", "n", 0.05));
        metrics.Record(Ok("f", "n", 0.1));
        metrics.Record(Ok("f", "n", 0.2));
        metrics.Record(Fail("f", "n", 42));
        metrics.Record(Ok("g", "n", 40_000));
        var f = new long[bounds.Length + 1];
        var all = new long[bounds.Length + 1];
        var none = new long[bounds.Length + 1];
        none[0] = 99;

        metrics.CopyHistogram("f", f);
        metrics.CopyHistogram(null, all);
        metrics.CopyHistogram("unknown", none);

        await Assert.That(bounds.Length).IsEqualTo(16);
        await Assert.That(f[0]).IsEqualTo(2);
        await Assert.That(f[1]).IsEqualTo(1);
        await Assert.That(f[Array.IndexOf(bounds, 50.0)]).IsEqualTo(1);
        await Assert.That(f.Sum()).IsEqualTo(4);
        await Assert.That(all[bounds.Length]).IsEqualTo(1);
        await Assert.That(all.Sum()).IsEqualTo(5);
        await Assert.That(none.Sum()).IsEqualTo(0);
        await Assert.That(() => metrics.CopyHistogram(null, new long[16])).Throws<ArgumentOutOfRangeException>();
    }

    [Test]
    public async Task Record_needs_ids()
    {
        var metrics = new EdgeMetrics();

        await Assert.That(() => metrics.Record(new InvocationRecord(null!, "n", 1, true))).Throws<ArgumentNullException>();
        await Assert.That(() => metrics.Record(new InvocationRecord("f", null!, 1, true))).Throws<ArgumentNullException>();
    }

    [Test]
    public async Task Invocation_record_defaults()
    {
        var before = DateTimeOffset.UtcNow;
        var r = new InvocationRecord("fn-1", "edge-01", 42.5, true);
        var after = DateTimeOffset.UtcNow;

        await Assert.That(r.FunctionId).IsEqualTo("fn-1");
        await Assert.That(r.NodeId).IsEqualTo("edge-01");
        await Assert.That(r.DurationMs).IsEqualTo(42.5);
        await Assert.That(r.Success).IsTrue();
        await Assert.That(r.Error).IsEqualTo("");
        await Assert.That(r.Timestamp).IsBetween(before, after);
        await Assert.That(r.Timestamp.Offset).IsEqualTo(TimeSpan.Zero);
    }

    [Test]
    public async Task Invocation_record_init_and_equality()
    {
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var a = new InvocationRecord("f", "n", 1, false) { Timestamp = at, Error = "boom" };
        var b = new InvocationRecord("f", "n", 1, false) { Timestamp = at, Error = "boom" };

        await Assert.That(a).IsEqualTo(b);
        await Assert.That(a with { Error = "other" }).IsNotEqualTo(b);
        await Assert.That(a.Timestamp).IsEqualTo(at);
    }
}
