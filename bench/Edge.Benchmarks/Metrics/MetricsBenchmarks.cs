using BenchmarkDotNet.Attributes;
using Edge.Runtime;

namespace Edge.Benchmarks.Metrics;

/// <summary>Recording invocations and summarising a full 65,536-record window (after 100,000 records).</summary>
[MemoryDiagnoser]
public class MetricsBenchmarks
{
    private const int SummaryCapacity = 65_536;
    private const int SummaryRecords = 100_000;
    // Long enough (~1 ms a thread) that waking the second thread is not what the benchmark measures.
    private const int ConcurrentRecordsPerThread = 200_000;

    private readonly InvocationRecord _record = new("sensor-stats", "node-1", 0.25, true);
    private EdgeMetrics _metrics = null!;
    private EdgeMetrics _full = null!;
    private long _counter;

    [GlobalSetup]
    public void Setup()
    {
        _metrics = new EdgeMetrics();
        _metrics.Record(_record);

        _full = new EdgeMetrics(SummaryCapacity);
        var random = new Random(11);
        string[] functions = ["echo", "sensor-stats", "resize", "classify"];
        for (var i = 0; i < SummaryRecords; i++)
        {
            _full.Record(new InvocationRecord(functions[i % functions.Length], $"node-{i % 8}", random.NextDouble() * 20, i % 50 != 0));
        }

        var summary = _full.Summary();
        if (summary.TotalInvocations != SummaryRecords || summary.WindowCount != SummaryCapacity)
        {
            throw new InvalidOperationException("Metrics set-up is not what the benchmarks assume.");
        }
    }

    [Benchmark(Baseline = true)]
    public long Record_Baseline() => Interlocked.Increment(ref _counter);

    [Benchmark]
    public void Record_Typed() => _metrics.Record(in _record);

    [Benchmark]
    public MetricsSummary Summary_65536() => _full.Summary();

    /// <summary>The same loop as <see cref="Record_Concurrent2"/> on one thread: its Mean over Record_Concurrent2's is the scaling.</summary>
    [Benchmark(OperationsPerInvoke = 2 * ConcurrentRecordsPerThread)]
    public void Record_SingleThread()
    {
        RecordMany();
        RecordMany();
    }

    /// <summary>Two threads recording into one instance; Mean is per record (wall time over both threads' records).</summary>
    [Benchmark(OperationsPerInvoke = 2 * ConcurrentRecordsPerThread)]
    public void Record_Concurrent2()
    {
        var other = Task.Run(RecordMany);
        RecordMany();
        other.GetAwaiter().GetResult();
    }

    /// <summary>
    /// What two threads can scale to on this machine at all: the same thread split over purely thread-local work (no
    /// shared memory). Record_Concurrent2 over Record_SingleThread is judged against this pair's ratio.
    /// </summary>
    [Benchmark(OperationsPerInvoke = 2 * ConcurrentRecordsPerThread)]
    public int LocalWork_SingleThread() => LocalWork() + LocalWork();

    [Benchmark(OperationsPerInvoke = 2 * ConcurrentRecordsPerThread)]
    public int LocalWork_Concurrent2()
    {
        var other = Task.Run(LocalWork);
        return LocalWork() + other.GetAwaiter().GetResult();
    }

    private static int LocalWork()
    {
        var h = 17;
        for (var i = 0; i < ConcurrentRecordsPerThread; i++)
        {
            h = unchecked((h ^ i) * 16777619);
            h = unchecked((h ^ (h >> 7)) * 16777619);
            h = unchecked((h ^ (h >> 11)) * 16777619);
        }

        return h;
    }

    private void RecordMany()
    {
        for (var i = 0; i < ConcurrentRecordsPerThread; i++)
        {
            _metrics.Record(in _record);
        }
    }
}
