using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.ObjectPool;

namespace Edge.Runtime;

/// <summary>
/// Invocation metrics that never grow without bound: lifetime-exact counters per function, per node and per
/// (function, node) pair, plus a fixed-capacity ring of the latest latencies for percentiles.
/// <see cref="Record"/> is safe for concurrent callers without a lock or a shared counter per record; it and every
/// query allocate nothing once each function and node has been seen.
/// </summary>
/// <remarks>
/// Lifetime counters live in per-thread stripes: each thread adds to its own cells with plain writes (no atomic
/// operation, no cache line shared with another recording thread), and a query sums the stripes, per pair, function,
/// node or in total. A stripe outlives its thread (a later thread adopts it, counts and all), so nothing is lost.
/// The percentile window is one ring; a thread claims its slots a chunk at a time (one atomic add per chunk), so under
/// concurrency the ring holds the latest records to within a chunk per thread, and exactly the latest ones otherwise.
/// </remarks>
public sealed class EdgeMetrics
{
    // A distinct reference no caller's string can be: a new stripe's last-keys cache matches nothing.
    private static readonly string NoKey = new('\0', 1);

    [ThreadStatic]
    private static Stripe? t_stripe;

    // The window keeps only what percentiles read: a slim entry is a third of a record and one reference to publish.
    private readonly WindowEntry[] _window;
    private readonly int _chunk;
    private readonly ConcurrentDictionary<string, FunctionCounters> _byFunction = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, NodeCounters> _byNode = new(StringComparer.Ordinal);
    private readonly Lock _registry = new();
    private readonly ObjectPool<double[]> _scratch;
    private int[] _allPairs = [];
    private Stripe[] _stripes = [];
    private long _claimed;

    /// <summary>Creates metrics whose percentile window holds the latest <paramref name="capacity"/> records.</summary>
    public EdgeMetrics(int capacity = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _window = new WindowEntry[capacity];
        _chunk = Math.Clamp(capacity / 16, 1, 256);
        _scratch = new DefaultObjectPool<double[]>(new ScratchPolicy(capacity), 4);
    }

    /// <summary>How many records the percentile window holds.</summary>
    public int Capacity => _window.Length;

    /// <summary>Records one invocation.</summary>
    public void Record(in InvocationRecord r)
    {
        var stripe = StripeOfThisThread();

        // A caller records the same (function, node) strings again and again: compare references before hashing.
        var pair = ReferenceEquals(r.FunctionId, stripe.LastFunction) && ReferenceEquals(r.NodeId, stripe.LastNode)
            ? stripe.LastPair!
            : ResolveFor(stripe, r.FunctionId, r.NodeId);
        Add(stripe, pair, r.DurationMs, r.Success);
    }

    /// <summary>The counters of one (function, node) pair, created on first use; callers on a hot path keep it.</summary>
    internal CounterSet Resolve(string functionId, string nodeId)
    {
        ArgumentNullException.ThrowIfNull(functionId);
        ArgumentNullException.ThrowIfNull(nodeId);
        if (_byFunction.TryGetValue(functionId, out var f) && f.Nodes.TryGetValue(nodeId, out var known))
        {
            return known;
        }

        lock (_registry)
        {
            var function = _byFunction.GetOrAdd(functionId, static id => new FunctionCounters(id));
            if (function.Nodes.TryGetValue(nodeId, out var set))
            {
                return set;
            }

            var node = _byNode.GetOrAdd(nodeId, static _ => new NodeCounters());
            set = new CounterSet(_allPairs.Length, function.Id, nodeId);
            function.Pairs = [.. function.Pairs, set.Index];
            node.Pairs = [.. node.Pairs, set.Index];
            Volatile.Write(ref _allPairs, [.. _allPairs, set.Index]);
            function.Nodes[nodeId] = set;
            return set;
        }
    }

    /// <summary>Records one invocation against counters from <see cref="Resolve"/>: no lookups, no timestamp.</summary>
    internal void RecordResolved(CounterSet counters, double durationMs, bool success) =>
        Add(StripeOfThisThread(), counters, durationMs, success);

    private CounterSet ResolveFor(Stripe stripe, string functionId, string nodeId)
    {
        var pair = Resolve(functionId, nodeId);
        stripe.LastFunction = functionId;
        stripe.LastNode = nodeId;
        stripe.LastPair = pair;
        return pair;
    }

    private void Add(Stripe stripe, CounterSet pair, double durationMs, bool success)
    {
        // Only this thread writes its stripe: plain writes, read (and summed) by queries.
        var cells = stripe.Cells;
        if ((uint)pair.Index >= (uint)cells.Length)
        {
            cells = stripe.Grow(Volatile.Read(ref _allPairs).Length);
        }

        ref var cell = ref cells[pair.Index];
        cell.Count++;
        if (!success)
        {
            cell.Errors++;
        }

        cell.LatencySumMs += durationMs;
        cell.Buckets[Bucket(durationMs)]++;

        ref var cursor = ref stripe.Window;
        if (cursor.Left == 0)
        {
            ClaimWindow(ref cursor);
        }

        var slot = cursor.Slot;
        _window[slot] = new WindowEntry(pair.FunctionId, durationMs);
        cursor.Slot = slot + 1 == _window.Length ? 0 : slot + 1;
        cursor.Left--;
    }

    private void ClaimWindow(ref WindowCursor cursor)
    {
        var start = Interlocked.Add(ref _claimed, _chunk) - _chunk;
        cursor.Slot = (int)((ulong)start % (ulong)_window.Length);
        cursor.Left = _chunk;
    }

    private static int Bucket(double durationMs)
    {
        var bounds = HistogramBoundsMs;
        var bucket = 0;
        while (bucket < bounds.Length && durationMs > bounds[bucket])
        {
            bucket++;
        }

        return bucket;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private Stripe StripeOfThisThread()
    {
        var stripe = t_stripe;
        return stripe is not null && ReferenceEquals(stripe.Owner, this) ? stripe : FindStripe();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private Stripe FindStripe()
    {
        var thread = Thread.CurrentThread;
        foreach (var candidate in Volatile.Read(ref _stripes))
        {
            if (ReferenceEquals(candidate.Thread, thread))
            {
                return t_stripe = candidate;
            }
        }

        lock (_registry)
        {
            // A stripe whose thread has ended is adopted: its counts stay where queries find them, and stripes stay
            // bounded by the threads alive at once rather than by every thread that ever recorded.
            foreach (var candidate in _stripes)
            {
                if (!candidate.Thread.IsAlive)
                {
                    candidate.Adopt(thread);
                    return t_stripe = candidate;
                }
            }

            var stripe = new Stripe(this, thread, _allPairs.Length);
            Volatile.Write(ref _stripes, [.. _stripes, stripe]);
            return t_stripe = stripe;
        }
    }

    /// <summary>Lifetime invocations, optionally of one function and/or on one node.</summary>
    public long TotalInvocations(string? functionId = null, string? nodeId = null) =>
        Find(functionId, nodeId).Count;

    /// <summary>Lifetime success percentage (0-100), optionally of one function; 100 when nothing was recorded.</summary>
    public double SuccessRate(string? functionId = null)
    {
        var c = Find(functionId, null);
        return c.Count == 0 ? 100.0 : 100.0 * (c.Count - c.Errors) / c.Count;
    }

    /// <summary>Lifetime mean latency in milliseconds, optionally of one function; 0 when nothing was recorded.</summary>
    public double AvgLatencyMs(string? functionId = null)
    {
        var c = Find(functionId, null);
        return c.Count == 0 ? 0.0 : c.LatencySumMs / c.Count;
    }

    /// <summary>Lifetime failures, optionally on one node.</summary>
    public long ErrorCount(string? nodeId = null) => Find(null, nodeId).Errors;

    /// <summary>Lifetime failures of one function.</summary>
    public long FunctionErrorCount(string functionId) => Find(functionId, null).Errors;

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
        SumBuckets(functionId, counts);
    }

    /// <summary>The function ids seen so far.</summary>
    public ICollection<string> FunctionIds => _byFunction.Keys;

    /// <summary>Totals, rates and window percentiles in one call.</summary>
    public MetricsSummary Summary() => Summary(null);

    /// <summary>Totals, rates and window percentiles, optionally of one function.</summary>
    public MetricsSummary Summary(string? functionId)
    {
        var c = Find(functionId, null);
        var count = c.Count;
        var errors = c.Errors;
        var latency = c.LatencySumMs;

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
        // Slots never written yet hold no function id; every written slot is one of the latest records.
        var n = 0;
        for (var i = 0; i < _window.Length; i++)
        {
            ref readonly var r = ref _window[i];
            if (r.FunctionId is not null
                && (functionId is null || ReferenceEquals(r.FunctionId, functionId) || string.Equals(r.FunctionId, functionId, StringComparison.Ordinal)))
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

    /// <summary>The pair indices a query sums: all, one function's, one node's or one pair's; empty for an unknown key.</summary>
    private ReadOnlySpan<int> PairsOf(string? functionId, string? nodeId)
    {
        switch (functionId, nodeId)
        {
            case (null, null):
                return Volatile.Read(ref _allPairs);
            case (not null, null) when _byFunction.TryGetValue(functionId, out var f):
                return f.Pairs;
            case (null, not null) when _byNode.TryGetValue(nodeId, out var n):
                return n.Pairs;
            case (not null, not null) when _byFunction.TryGetValue(functionId, out var f) && f.Nodes.TryGetValue(nodeId, out var set):
                return new ReadOnlySpan<int>(in set.IndexRef);
            default:
                return default;
        }
    }

    private Totals Find(string? functionId, string? nodeId)
    {
        var pairs = PairsOf(functionId, nodeId);
        var totals = default(Totals);
        foreach (var stripe in Volatile.Read(ref _stripes))
        {
            var cells = Volatile.Read(ref stripe.Cells);
            foreach (var index in pairs)
            {
                if ((uint)index < (uint)cells.Length)
                {
                    ref var cell = ref cells[index];
                    totals.Count += Volatile.Read(ref cell.Count);
                    totals.Errors += Volatile.Read(ref cell.Errors);
                    totals.LatencySumMs += Volatile.Read(ref cell.LatencySumMs);
                }
            }
        }

        return totals;
    }

    private void SumBuckets(string? functionId, Span<long> counts)
    {
        var pairs = PairsOf(functionId, null);
        foreach (var stripe in Volatile.Read(ref _stripes))
        {
            var cells = Volatile.Read(ref stripe.Cells);
            foreach (var index in pairs)
            {
                if ((uint)index < (uint)cells.Length)
                {
                    ReadOnlySpan<long> buckets = cells[index].Buckets;
                    for (var i = 0; i < buckets.Length; i++)
                    {
                        counts[i] += Volatile.Read(ref Unsafe.AsRef(in buckets[i]));
                    }
                }
            }
        }
    }

    private readonly record struct WindowEntry(string FunctionId, double DurationMs);

    private struct Totals
    {
        public long Count;
        public long Errors;
        public double LatencySumMs;
    }

    private sealed class FunctionCounters(string id)
    {
        public string Id { get; } = id;

        /// <summary>Written under the registry lock (copy-on-write), read without one.</summary>
        public int[] Pairs { get; set; } = [];

        public ConcurrentDictionary<string, CounterSet> Nodes { get; } = new(StringComparer.Ordinal);
    }

    private sealed class NodeCounters
    {
        public int[] Pairs { get; set; } = [];
    }

    /// <summary>One (function, node) pair: its index into every stripe's cells.</summary>
    internal sealed class CounterSet(int index, string functionId, string nodeId)
    {
        private readonly int _index = index;

        public int Index => _index;

        public ref readonly int IndexRef => ref _index;

        public string FunctionId { get; } = functionId;

        public string NodeId { get; } = nodeId;
    }

    [InlineArray(17)]
    private struct HistogramBuckets
    {
        private long _element0;
    }

    /// <summary>One pair's lifetime counters in one stripe.</summary>
    private struct PairCell
    {
        public long Count;
        public long Errors;
        public double LatencySumMs;
        public HistogramBuckets Buckets;
    }

    /// <summary>Where a stripe writes next in the window; padded to its own cache line (stripes are allocated side by side).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct WindowCursor
    {
        [FieldOffset(64)]
        public int Slot;

        [FieldOffset(68)]
        public int Left;
    }

    /// <summary>One thread's counters (and its window chunk and last-keys cache); only that thread writes it.</summary>
    private sealed class Stripe(EdgeMetrics owner, Thread thread, int pairs)
    {
        public PairCell[] Cells = new PairCell[Math.Max(pairs, 4)];

        public EdgeMetrics Owner { get; } = owner;

        public Thread Thread { get; private set; } = thread;

        public string? LastFunction { get; set; } = NoKey;

        public string? LastNode { get; set; } = NoKey;

        public CounterSet? LastPair { get; set; }

        // Written on every record: kept a cache line away from anything another thread's stripe writes.
        public WindowCursor Window;

        public PairCell[] Grow(int pairs)
        {
            var cells = new PairCell[Math.Max(pairs, Cells.Length * 2)];
            Cells.CopyTo(cells, 0);
            Volatile.Write(ref Cells, cells);
            return cells;
        }

        /// <summary>Taken over by a new thread after its own ended; its window chunk is given up.</summary>
        public void Adopt(Thread thread)
        {
            Thread = thread;
            Window.Left = 0;
        }
    }

    private sealed class ScratchPolicy(int capacity) : PooledObjectPolicy<double[]>
    {
        public override double[] Create() => new double[capacity];

        public override bool Return(double[] obj) => true;
    }
}
