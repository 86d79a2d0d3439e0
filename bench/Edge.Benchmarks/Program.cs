using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Edge.Benchmarks;

public static class Program
{
    // BenchmarkDotNet exits 0 even when a benchmark throws or never produces a measurement; CI must see those.
    public static int Main(string[] args)
    {
        if (args is ["--recovery-peak"])
        {
            return Journal.RecoveryPeakMemory.Run();
        }

        var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args).ToArray();
        var failures = Failures(summaries).ToArray();
        foreach (var failure in failures)
        {
            Console.Error.WriteLine($"bench: FAILED {failure}");
        }

        if (failures.Length > 0)
        {
            Console.Error.WriteLine($"bench: {failures.Length} benchmark failure(s)");
            return 1;
        }

        var count = summaries.Sum(s => s.Reports.Length);
        if (args.Length > 0 && count == 0 && !args.Any(IsInformational))
        {
            Console.Error.WriteLine("bench: no benchmark ran (check --filter)");
            return 2;
        }

        Console.WriteLine($"bench: {count} benchmark(s) ran, 0 failed");
        return 0;
    }

    private static IEnumerable<string> Failures(IEnumerable<Summary> summaries)
    {
        foreach (var summary in summaries)
        {
            if (summary.HasCriticalValidationErrors)
            {
                foreach (var error in summary.ValidationErrors.Where(e => e.IsCritical))
                {
                    yield return $"{summary.Title}: validation: {error.Message}";
                }
            }

            foreach (var report in summary.Reports)
            {
                if (!report.Success || report.ResultStatistics is null)
                {
                    yield return $"{report.BenchmarkCase.DisplayInfo}: no result (success={report.Success})";
                }
            }

            // A benchmark case that BenchmarkDotNet planned but never reported on is a failure too.
            var reported = summary.Reports.Select(r => r.BenchmarkCase).ToHashSet();
            foreach (var benchmark in summary.BenchmarksCases.Where(b => !reported.Contains(b)))
            {
                yield return $"{benchmark.DisplayInfo}: no report";
            }
        }
    }

    private static bool IsInformational(string arg) =>
        arg is "--list" or "--info" or "--help" or "-h" or "--version" or "-?";
}
