using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;

namespace Edge.Benchmarks.Host;

/// <summary>
/// Cold start of the published Native AOT <c>edge-host</c>: from <see cref="Process.Start()"/> to the first 200 on
/// <c>/healthz</c>, with a fresh data dir and a free loopback port each time. Baseline: spawning <c>/bin/true</c> and
/// waiting for it to exit (the fork/exec floor of this machine).
/// </summary>
/// <remarks>
/// The binary is <c>$EDGE_HOST_BINARY</c>, else <c>artifacts/edge-host/linux-x64/edge-host</c> under the repository
/// root (CI publishes it there before the benchmark smoke run). Without it the global setup throws.
/// </remarks>
[Config(typeof(Config))]
public class ColdStartBenchmarks
{
    /// <summary>
    /// One process-level measurement per iteration, 1 warm-up + 10 iterations. A mutator, not a job of its own, so a
    /// job given on the command line (the CI smoke run's in-process dry job) stays the only job.
    /// </summary>
    private sealed class Config : ManualConfig
    {
        public Config() => AddJob(Job.Default
            .WithStrategy(RunStrategy.Monitoring)
            .WithLaunchCount(1)
            .WithWarmupCount(1)
            .WithIterationCount(10)
            .AsMutator());
    }

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(15);

    private string _binary = null!;
    private HttpClient _client = null!;
    private Process? _process;
    private string? _dataDir;
    private int _port;

    [GlobalSetup]
    public void Setup()
    {
        _binary = FindBinary();
        _client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
    }

    [GlobalCleanup]
    public void Cleanup() => _client.Dispose();

    [IterationSetup]
    public void NewNode()
    {
        _dataDir = Directory.CreateTempSubdirectory("edge-bench-cold-").FullName;
        _port = FreePort();
    }

    [IterationCleanup]
    public void StopNode()
    {
        if (_process is { } process)
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            process.WaitForExit();
            process.Dispose();
            _process = null;
        }

        if (_dataDir is not null)
        {
            Directory.Delete(_dataDir, recursive: true);
            _dataDir = null;
        }
    }

    [Benchmark(Baseline = true, Description = "spawn /bin/true to exit")]
    public int SpawnTrue()
    {
        using var process = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
        process.WaitForExit();
        return process.ExitCode;
    }

    [Benchmark(Description = "edge-host serve to first 200 /healthz")]
    public int EdgeHostToFirstHealthz()
    {
        var start = new ProcessStartInfo(_binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "serve", "--urls", $"http://127.0.0.1:{_port}", "--data-dir", _dataDir!, "--node-id", "bench-cold" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        _process = process;
        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += static (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var healthz = new Uri($"http://127.0.0.1:{_port}/healthz");
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = _client.GetAsync(healthz).GetAwaiter().GetResult();
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return (int)response.StatusCode;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (process.HasExited)
            {
                throw new InvalidOperationException($"{_binary} exited with code {process.ExitCode} before /healthz answered 200");
            }

            if (deadline.Elapsed > ReadyTimeout)
            {
                throw new TimeoutException($"{_binary} did not answer 200 on {healthz} within {ReadyTimeout.TotalSeconds} s");
            }

            Thread.Sleep(1);
        }
    }

    private static string FindBinary()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("EDGE_HOST_BINARY");
        if (!string.IsNullOrEmpty(fromEnvironment))
        {
            return File.Exists(fromEnvironment)
                ? Path.GetFullPath(fromEnvironment)
                : throw new FileNotFoundException($"EDGE_HOST_BINARY points at '{fromEnvironment}', which does not exist", fromEnvironment);
        }

        var root = RepositoryRoot();
        var published = root is null ? null : Path.Combine(root, "artifacts", "edge-host", "linux-x64", "edge-host");
        if (published is not null && File.Exists(published))
        {
            return published;
        }

        throw new FileNotFoundException(
            "ColdStartBenchmarks needs the published Native AOT edge-host: set EDGE_HOST_BINARY or run " +
            "'dotnet publish src/Edge.Host -c Release -r linux-x64 -o artifacts/edge-host/linux-x64' first " +
            $"(looked for {published ?? "artifacts/edge-host/linux-x64/edge-host (repository root not found)"})",
            published);
    }

    /// <summary>The nearest directory at or above the working directory or this assembly that holds Edge.Native.sln.</summary>
    private static string? RepositoryRoot()
    {
        foreach (var from in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(from); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Edge.Native.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
