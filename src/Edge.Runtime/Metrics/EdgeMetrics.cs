using System.Collections.Concurrent;
using Microsoft.Extensions.ObjectPool;

namespace Edge.Runtime;

/// <summary>
/// Invocation metrics that never grow without bound: lifetime-exact counters per function, per node and per
/// (function, node) pair, plus a fixed-capacity ring of the latest latencies for percentiles.
/// <see cref="Record"/> is safe for concurrent callers without a global lock; it and every query allocate nothing
/// once each function and node has been seen.
/// </summary>
public sealed class EdgeMetrics
{
    // The window keeps only what percentiles read: a slim entry is a third of a record and one reference to publish.
    private readonly WindowEntry[] _window;
    private readonly ConcurrentDictionary<string, FunctionCounters> _byFunction = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, InvocationCounter> _byNode = new(StringComparer.Ordinal);
    private readonly InvocationCounter _total = new(latency: true);
    private readonly ObjectPool<double[]> _scratch;
    private long _written;

    /// <summary>Creates metrics whose percentile window holds the latest <paramref name="capacity"/> records.</summary>
    public EdgeMetrics(int capacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _window = new WindowEntry[capacity];
        _scratch = new DefaultObjectPool<double[]>(new ScratchPolicy(capacity), 4);
    }

    /// <summary>How many records the percentile window holds.</summary>
    public int Capacity => _window.Length;

    /// <summary>Records one invocation.</summary>
    public void Record(in InvocationRecord r) => RecordResolved(Resolve(r.FunctionId, r.NodeId), r.DurationMs, r.Success);

    /// <summary>The counters of one (function, node) pair, created on first use; callers on a hot path keep it.</summary>
    internal CounterSet Resolve(string functionId, string nodeId)
    {
        ArgumentNullException.ThrowIfNull(functionId);
        ArgumentNullException.ThrowIfNull(nodeId);
        var function = _byFunction.TryGetValue(functionId, out var f)
            ? f
            : _byFunction.GetOrAdd(functionId, static _ => new FunctionCounters());
        return function.Nodes.TryGetValue(nodeId, out var set)
            ? set
            : function.Nodes.GetOrAdd(nodeId, static (node, state) => new CounterSet(
                state.Id,
                state.Function.Counter,
                state.Metrics._byNode.GetOrAdd(node, static _ => new InvocationCounter(latency: false))), (Id: functionId, Function: function, Metrics: this));
    }

    /// <summary>Records one invocation against counters from <see cref="Resolve"/>: no lookups, no timestamp.</summary>
    internal void RecordResolved(CounterSet counters, double durationMs, bool success)
    {
        var slot = Interlocked.Increment(ref _written) - 1;
        _window[(int)((ulong)slot % (ulong)_window.Length)] = new WindowEntry(counters.FunctionId, durationMs);

        _total.Add(durationMs, success);
        counters.Function.Add(durationMs, success);
        counters.Node.Add(durationMs, success);
        counters.Pair.Add(durationMs, success);
    }

    /// <summary>Lifetime invocations, optionally of one function and/or on one node.</summary>
    public long TotalInvocations(string? functionId = null, string? nodeId = null) =>
        Find(functionId, nodeId)?.Count ?? 0;

    /// <summary>Lifetime success percentage (0-100), optionally of one function; 100 when nothing was recorded.</summary>
    public double SuccessRate(string? functionId = null)
    {
        var c = Find(functionId, null);
        var count = c?.Count ?? 0;
        return count == 0 ? 100.0 : 100.0 * (count - c!.Errors) / count;
    }

    /// <summary>Lifetime mean latency in milliseconds, optionally of one function; 0 when nothing was recorded.</summary>
    public double AvgLatencyMs(string? functionId = null)
    {
        var c = Find(functionId, null);
        var count = c?.Count ?? 0;
        return count == 0 ? 0.0 : c!.LatencySumMs / count;
    }

    /// <summary>Lifetime failures, optionally on one node.</summary>
    public long ErrorCount(string? nodeId = null) => Find(null, nodeId)?.Errors ?? 0;

    /// <summary>Lifetime failures of one function.</summary>
    public long FunctionErrorCount(string functionId) => Find(functionId, null)?.Errors ?? 0;

    /// <summary>Upper bounds (ms) of the latency histogram buckets; a last, unbounded bucket follows them.</summary>
    public static ReadOnlySpan<double> HistogramBoundsMs => [0.1, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000];

    /// <summary>
    /// Copies the lifetime (non-cumulative) bucket counts of one function's latency histogram, or of all functions when
    /// <paramref name="functionId"/> is null, into <paramref name="counts"/> (length <see cref="HistogramBoundsMs"/> + 1).
    /// </summary>
    public void CopyHistogram(string? functionId, Span<long> counts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(counts.Length, HistogramBoundsMs.Length + 1, nameof(counts));
        counts.Clear();
        Find(functionId, null)?.CopyBuckets(counts);
    }

    /// <summary>The function ids seen so far.</summary>
    public ICollection<string> FunctionIds => _byFunction.Keys;

    /// <summary>Totals, rates and window percentiles in one call.</summary>
    public MetricsSummary Summary() => Summary(null);

    /// <summary>Totals, rates and window percentiles, optionally of one function.</summary>
    public MetricsSummary Summary(string? functionId)
    {
        var c = Find(functionId, null);
        var count = c?.Count ?? 0;
        var errors = c?.Errors ?? 0;
        var latency = c?.LatencySumMs ?? 0;

        var scratch = _scratch.Get();
        try
        {
            var n = CopyWindow(functionId, scratch);
            var window = scratch.AsSpan(0, n);
            var from = 0;

            // Ascending quantiles, so each selection only searches above the previous one.
            var p50 = SelectPercentile(window, 0.50, ref from);
            var p95 = SelectPercentile(window, 0.95, ref from);
            var p99 = SelectPercentile(window, 0.99, ref from);
            return new MetricsSummary(
                count,
                count == 0 ? 100.0 : 100.0 * (count - errors) / count,
                count == 0 ? 0.0 : latency / count,
                errors,
                p50,
                p95,
                p99,
                n);
        }
        finally
        {
            _scratch.Return(scratch);
        }
    }

    /// <summary>Latency at quantile <paramref name="q"/> (0-1) over the window, linear between closest ranks; 0 when empty.</summary>
    public double Percentile(double q, string? functionId = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(q, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(q, 1.0);
        var scratch = _scratch.Get();
        try
        {
            var from = 0;
            return SelectPercentile(scratch.AsSpan(0, CopyWindow(functionId, scratch)), q, ref from);
        }
        finally
        {
            _scratch.Return(scratch);
        }
    }

    private int CopyWindow(string? functionId, double[] destination)
    {
        var written = Interlocked.Read(ref _written);
        var available = (int)Math.Min(written, _window.Length);
        var n = 0;
        for (var i = 0; i < available; i++)
        {
            ref readonly var r = ref _window[i];
            if (functionId is null || string.Equals(r.FunctionId, functionId, StringComparison.Ordinal))
            {
                destination[n++] = r.DurationMs;
            }
        }

        return n;
    }

    /// <summary>
    /// The value at quantile <paramref name="q"/>, linear between closest ranks, as a full sort would give it, found by
    /// selection in O(n). Elements of <paramref name="window"/> before <paramref name="from"/> must already be the
    /// smallest ones (a previous, lower quantile's selection leaves them so); on return it is this quantile's rank.
    /// </summary>
    private static double SelectPercentile(Span<double> window, double q, ref int from)
    {
        if (window.IsEmpty)
        {
            return 0.0;
        }

        var rank = q * (window.Length - 1);
        var lower = Math.Max((int)Math.Floor(rank), from);
        Select(window[from..], lower - from);
        from = lower;
        var low = window[lower];
        if (lower == window.Length - 1)
        {
            return low;
        }

        // Everything right of the selected rank is >= it, so the next order statistic is the minimum there.
        var high = window[lower + 1];
        foreach (var value in window[(lower + 2)..])
        {
            if (Less(value, high))
            {
                high = value;
            }
        }

        return low + (high - low) * (rank - lower);
    }

    /// <summary>Quickselect (Hoare partition, median of three): puts the k-th smallest at k, smaller left, larger right.</summary>
    private static void Select(Span<double> s, int k)
    {
        int lo = 0, hi = s.Length - 1;
        while (hi - lo > 16)
        {
            var mid = lo + ((hi - lo) >> 1);
            if (Less(s[mid], s[lo]))
            {
                (s[mid], s[lo]) = (s[lo], s[mid]);
            }

            if (Less(s[hi], s[lo]))
            {
                (s[hi], s[lo]) = (s[lo], s[hi]);
            }

            if (Less(s[hi], s[mid]))
            {
                (s[hi], s[mid]) = (s[mid], s[hi]);
            }

            var pivot = s[mid];
            int i = lo, j = hi;
            while (i <= j)
            {
                while (Less(s[i], pivot))
                {
                    i++;
                }

                while (Less(pivot, s[j]))
                {
                    j--;
                }

                if (i <= j)
                {
                    (s[i], s[j]) = (s[j], s[i]);
                    i++;
                    j--;
                }
            }

            if (k <= j)
            {
                hi = j;
            }
            else if (k >= i)
            {
                lo = i;
            }
            else
            {
                return;
            }
        }

        s[lo..(hi + 1)].Sort();
    }

    // The order Span.Sort uses for doubles: NaN first.
    private static bool Less(double a, double b) => a < b || (double.IsNaN(a) && !double.IsNaN(b));

    private InvocationCounter? Find(string? functionId, string? nodeId) => (functionId, nodeId) switch
    {
        (null, null) => _total,
        (not null, null) => _byFunction.GetValueOrDefault(functionId)?.Counter,
        (null, not null) => _byNode.GetValueOrDefault(nodeId),
        _ => _byFunction.GetValueOrDefault(functionId!)?.Nodes.GetValueOrDefault(nodeId!)?.Pair,
    };

    private readonly record struct WindowEntry(string FunctionId, double DurationMs);

    private sealed class FunctionCounters
    {
        public InvocationCounter Counter { get; } = new(latency: true);

        public ConcurrentDictionary<string, CounterSet> Nodes { get; } = new(StringComparer.Ordinal);
    }

    /// <summary>The counters one invocation of a function on a node adds to (the total aside).</summary>
    internal sealed class CounterSet(string functionId, InvocationCounter function, InvocationCounter node)
    {
        public string FunctionId { get; } = functionId;

        public InvocationCounter Function { get; } = function;

        public InvocationCounter Node { get; } = node;

        public InvocationCounter Pair { get; } = new(latency: false);
    }

    /// <summary>
    /// Lifetime-exact counters. Latency (sum and histogram) is only ever read for the total and per function, so node
    /// and pair counters skip it: each atomic operation saved is a few nanoseconds off every invocation.
    /// </summary>
    internal sealed class InvocationCounter(bool latency)
    {
        private readonly long[]? _buckets = latency ? new long[HistogramBoundsMs.Length + 1] : null;
        private long _count;
        private long _errors;
        private long _latencySumBits;

        public long Count => Interlocked.Read(ref _count);

        public long Errors => Interlocked.Read(ref _errors);

        public double LatencySumMs => BitConverter.Int64BitsToDouble(Interlocked.Read(ref _latencySumBits));

        public void CopyBuckets(Span<long> counts)
        {
            if (_buckets is null)
            {
                return;
            }

            for (var i = 0; i < _buckets.Length; i++)
            {
                counts[i] = Interlocked.Read(ref _buckets[i]);
            }
        }

        public void Add(double durationMs, bool success)
        {
            Interlocked.Increment(ref _count);
            if (!success)
            {
                Interlocked.Increment(ref _errors);
            }

            if (_buckets is null)
            {
                return;
            }

            var bounds = HistogramBoundsMs;
            var bucket = 0;
            while (bucket < bounds.Length && durationMs > bounds[bucket])
            {
                bucket++;
            }

            Interlocked.Increment(ref _buckets[bucket]);

            // A lock-free double add: retry until no other writer slipped in between read and swap.
            var current = Interlocked.Read(ref _latencySumBits);
            while (true)
            {
                var next = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(current) + durationMs);
                var seen = Interlocked.CompareExchange(ref _latencySumBits, next, current);
                if (seen == current)
                {
                    return;
                }

                current = seen;
            }
        }
    }

    private sealed class ScratchPolicy(int capacity) : PooledObjectPolicy<double[]>
    {
        public override double[] Create() => new double[capacity];

        public override bool Return(double[] obj) => true;
    }
}
