using System.Diagnostics;

namespace Edge.Benchmarks.Journal;

/// <summary>
/// Peak managed heap while recovering (BenchmarkDotNet reports what is allocated, not how much is alive at once):
/// <c>dotnet run -c Release --project bench/Edge.Benchmarks -- --recovery-peak</c>.
/// </summary>
/// <remarks>
/// The heap peaks just before a collection, so a sampler thread records, for every GC it sees, the heap size before it
/// (the generations' SizeBeforeBytes) and between GCs the live total; the peak is the largest, less the heap before
/// recovery started. A GC the sampler misses can hide a peak by at most one gen0 budget.
/// </remarks>
internal static class RecoveryPeakMemory
{
    public static int Run()
    {
        var frames = new JournalRecoveryBenchmarks();
        frames.Setup();
        Measure("Recover 100k frames (10-key full updates)", () => frames.Recover_100k());
        frames.Cleanup();

        var deltas = new JournalDeltaRecoveryBenchmarks();
        deltas.Setup();
        Measure("Recover 1 MB snapshot + 10,000 deltas", () => deltas.Recover());
        deltas.Cleanup();
        return 0;
    }

    private static void Measure(string name, Func<long> recover)
    {
        recover(); // warm: JIT and file cache
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var peak = before;
        var done = false;
        var sampler = new Thread(() =>
        {
            var seen = GC.CollectionCount(0);
            while (!Volatile.Read(ref done))
            {
                var count = GC.CollectionCount(0);
                if (count != seen)
                {
                    seen = count;
                    var info = GC.GetGCMemoryInfo(GCKind.Any);
                    long sizeBefore = 0;
                    foreach (var generation in info.GenerationInfo)
                    {
                        sizeBefore += generation.SizeBeforeBytes;
                    }

                    peak = Math.Max(peak, sizeBefore);
                }

                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false));
                Thread.SpinWait(200);
            }
        }) { IsBackground = true };
        sampler.Start();
        var clock = Stopwatch.StartNew();
        var version = recover();
        clock.Stop();
        Volatile.Write(ref done, true);
        sampler.Join();
        Console.WriteLine($"{name}: v{version} in {clock.Elapsed.TotalMilliseconds:F1} ms, peak managed heap {(peak - before) / 1024.0 / 1024.0:F1} MiB above the {before / 1024.0 / 1024.0:F1} MiB before");
    }
}
