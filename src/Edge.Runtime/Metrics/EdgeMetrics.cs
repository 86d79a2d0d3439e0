using System.Collections.Concurrent;
using Microsoft.Extensions.ObjectPool;

namespace Edge.Runtime;

/// <summary>
/// Invocation metrics that never grow without bound: lifetime-exact counters per function, per node and per
/// (function, node) pair, plus a fixed-capacity ring of the latest <see cref="InvocationRecord"/>s for percentiles.
/// <see cref="Record"/> is safe for concurrent callers without a global lock; it and every query allocate nothing
/// once each function and node has been seen.
/// </summary>
public sealed class EdgeMetrics
{
    private readonly InvocationRecord[] _window;
    private readonly ConcurrentDictionary<string, InvocationCounter> _byFunction = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, InvocationCounter> _byNode = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Function, string Node), InvocationCounter> _byPair = new();
    private readonly InvocationCounter _total = new();
    private readonly ObjectPool<double[]> _scratch;
    private long _written;

    /// <summary>Creates metrics whose percentile window holds the latest <paramref name="capacity"/> records.</summary>
    public EdgeMetrics(int capacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _window = new InvocationRecord[capacity];
        _scratch = new DefaultObjectPool<double[]>(new ScratchPolicy(capacity), 4);
    }

    /// <summary>How many records the percentile window holds.</summary>
    public int Capacity => _window.Length;

    /// <summary>Records one invocation.</summary>
    public void Record(in InvocationRecord r)
    {
        var slot = Interlocked.Increment(ref _written) - 1;
        _window[slot % _window.Length] = r;

        _total.Add(r.DurationMs, r.Success);
        Counter(_byFunction, r.FunctionId).Add(r.DurationMs, r.Success);
        Counter(_byNode, r.NodeId).Add(r.DurationMs, r.Success);
        Counter(_byPair, (r.FunctionId, r.NodeId)).Add(r.DurationMs, r.Success);
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
            var sorted = scratch.AsSpan(0, n);
            sorted.Sort();
            return new MetricsSummary(
                count,
                count == 0 ? 100.0 : 100.0 * (count - errors) / count,
                count == 0 ? 0.0 : latency / count,
                errors,
                Percentile(sorted, 0.50),
                Percentile(sorted, 0.95),
                Percentile(sorted, 0.99),
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
            var sorted = scratch.AsSpan(0, CopyWindow(functionId, scratch));
            sorted.Sort();
            return Percentile(sorted, q);
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

    private static double Percentile(ReadOnlySpan<double> sorted, double q)
    {
        if (sorted.IsEmpty)
        {
            return 0.0;
        }

        var rank = q * (sorted.Length - 1);
        var lower = (int)Math.Floor(rank);
        var upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (rank - lower);
    }

    private InvocationCounter? Find(string? functionId, string? nodeId) => (functionId, nodeId) switch
    {
        (null, null) => _total,
        (not null, null) => _byFunction.GetValueOrDefault(functionId),
        (null, not null) => _byNode.GetValueOrDefault(nodeId),
        _ => _byPair.GetValueOrDefault((functionId!, nodeId!)),
    };

    private static InvocationCounter Counter<TKey>(ConcurrentDictionary<TKey, InvocationCounter> map, TKey key)
        where TKey : notnull =>
        map.TryGetValue(key, out var counter) ? counter : map.GetOrAdd(key, static _ => new InvocationCounter());

    private sealed class InvocationCounter
    {
        private long _count;
        private long _errors;
        private long _latencySumBits;
        private readonly long[] _buckets = new long[HistogramBoundsMs.Length + 1];

        public long Count => Interlocked.Read(ref _count);

        public long Errors => Interlocked.Read(ref _errors);

        public double LatencySumMs => BitConverter.Int64BitsToDouble(Interlocked.Read(ref _latencySumBits));

        public void CopyBuckets(Span<long> counts)
        {
            for (var i = 0; i < _buckets.Length; i++)
            {
                counts[i] = Interlocked.Read(ref _buckets[i]);
            }
        }

        public void Add(double durationMs, bool success)
        {
            Interlocked.Increment(ref _count);
            var bounds = HistogramBoundsMs;
            var bucket = 0;
            while (bucket < bounds.Length && durationMs > bounds[bucket])
            {
                bucket++;
            }

            Interlocked.Increment(ref _buckets[bucket]);
            if (!success)
            {
                Interlocked.Increment(ref _errors);
            }

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
