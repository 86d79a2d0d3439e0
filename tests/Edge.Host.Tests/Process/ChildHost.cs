using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Edge.Host.Tests.Process;

/// <summary>
/// The edge-host binary as a child process: the AOT binary named by EDGE_HOST_BINARY (CI publishes it), else the
/// framework-dependent edge-host.dll that the build copies beside the tests.
/// </summary>
internal sealed class ChildHost : IAsyncDisposable
{
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private ChildHost(System.Diagnostics.Process process, int port, Tls.TestPki? httpsCa)
    {
        Process = process;
        Port = port;
        Client = httpsCa is null
            ? new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) }
            : new HttpClient(httpsCa.TrustingHandler()) { BaseAddress = new Uri($"https://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public System.Diagnostics.Process Process { get; }

    public int Port { get; }

    public HttpClient Client { get; }

    public string Stdout
    {
        get
        {
            lock (_stdout)
            {
                return _stdout.ToString();
            }
        }
    }

    /// <summary>Everything the process printed so far: standard output, then standard error.</summary>
    public string Output => Stdout + Stderr;

    public string Stderr
    {
        get
        {
            lock (_stderr)
            {
                return _stderr.ToString();
            }
        }
    }

    public static ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var binary = Environment.GetEnvironmentVariable("EDGE_HOST_BINARY");
        ProcessStartInfo info;
        if (!string.IsNullOrEmpty(binary))
        {
            info = new ProcessStartInfo(binary);
        }
        else
        {
            info = new ProcessStartInfo("dotnet");
            info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "edge-host.dll"));
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.UseShellExecute = false;
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("EDGE_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(key);
        }

        return info;
    }

    /// <summary>Runs a one-shot command to completion.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(params string[] args)
    {
        using var process = System.Diagnostics.Process.Start(StartInfo(args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Starts <c>serve</c> on a free loopback port with its own data dir and node id, and waits until /healthz answers.</summary>
    public static Task<ChildHost> ServeAsync(string dataDir, params string[] extra) =>
        StartServeAsync(["--data-dir", dataDir, "--node-id", "child-node", .. extra]);

    /// <summary>
    /// Starts <c>serve</c> with <paramref name="options"/> on a free loopback port and waits until /healthz answers;
    /// with <paramref name="httpsCa"/> the URL is https:// and the client trusts that CA only.
    /// </summary>
    public static async Task<ChildHost> StartServeAsync(IEnumerable<string> options, Tls.TestPki? httpsCa = null)
    {
        var port = FreePort();
        var args = new List<string> { "serve", "--urls", $"{(httpsCa is null ? "http" : "https")}://127.0.0.1:{port}" };
        args.AddRange(options);
        var process = System.Diagnostics.Process.Start(StartInfo(args))!;
        var child = new ChildHost(process, port, httpsCa);
        process.OutputDataReceived += (_, e) => child.Append(child._stdout, e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(child._stderr, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"edge-host exited with {process.ExitCode}: {child.Stderr}{child.Stdout}");
            }

            try
            {
                if ((await child.Client.GetAsync("/healthz")).StatusCode == HttpStatusCode.OK)
                {
                    return child;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(50);
        }

        await child.DisposeAsync();
        throw new TimeoutException("edge-host did not become healthy within 60 s");
    }

    /// <summary>Sends a POSIX signal (SIGTERM = 15, SIGKILL = 9).</summary>
    public async Task SignalAsync(int signal)
    {
        using var kill = System.Diagnostics.Process.Start(new ProcessStartInfo("kill", [$"-{signal}", Process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!;
        await kill.WaitForExitAsync();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await Process.WaitForExitAsync(cts.Token);
        return Process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            await Process.WaitForExitAsync();
        }

        Process.Dispose();
    }

    private void Append(StringBuilder target, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (target)
        {
            target.AppendLine(line);
        }
    }
}
