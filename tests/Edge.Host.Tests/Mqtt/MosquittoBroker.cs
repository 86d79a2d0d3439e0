using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using TUnit.Core.Interfaces;

namespace Edge.Host.Tests.Mqtt;

/// <summary>
/// A real Mosquitto on 127.0.0.1 with a random free port and a temp config dir (never the system service). Stop/start
/// keep the port and, with persistence, the sessions, queued messages and retained topics across restarts.
/// </summary>
internal sealed class MosquittoBroker : TestBroker
{
    private readonly string _dir;
    private readonly string _config;
    private System.Diagnostics.Process? _process;

    private MosquittoBroker(int port, string dir, string config)
    {
        Port = port;
        _dir = dir;
        _config = config;
    }

    public override int Port { get; }

    public bool Tls { get; private init; }

    public override string Uri => $"{(Tls ? "mqtts" : "mqtt")}://127.0.0.1:{Port}";

    public string LogPath => Path.Combine(_dir, "mosquitto.log");

    public bool IsRunning => _process is { HasExited: false };

    public static bool IsInstalled() => Find() is not null;

    public static string Executable() => Find() ?? throw new InvalidOperationException(
        "mosquitto is not installed: install it with `apt-get install -y mosquitto` (.ci/run does this), or unset EDGE_TEST_BROKER to use the embedded broker.");

    private static string? Find()
    {
        foreach (var candidate in new[] { "/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto", "/usr/local/bin/mosquitto" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(dir, "mosquitto");
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    /// <summary>Starts a broker; with <paramref name="pki"/> its listener is TLS with a server certificate of that CA.</summary>
    public static async Task<MosquittoBroker> StartAsync(bool persistence = false, Tls.TestPki? pki = null, bool requireClientCertificate = false)
    {
        var port = Process.ChildHost.FreePort();
        var dir = Directory.CreateTempSubdirectory("edge-mosquitto-").FullName;
        var config = Path.Combine(dir, "mosquitto.conf");
        var lines = new List<string>
        {
            $"listener {port} 127.0.0.1",
            "allow_anonymous true",
            "max_queued_messages 0",
            "max_packet_size 4194304",
            $"persistence {(persistence ? "true" : "false")}",
            $"persistence_location {dir}/",
            "autosave_interval 0",
            $"log_dest file {Path.Combine(dir, "mosquitto.log")}",
            "log_type error",
            "log_type warning",
            "log_type notice",
        };
        if (pki is not null)
        {
            var (cert, key) = await pki.IssueAsync("mosquitto", server: true);
            lines.Add($"certfile {cert}");
            lines.Add($"keyfile {key}");
            lines.Add($"cafile {pki.CaFile}");
            if (requireClientCertificate)
            {
                lines.Add("require_certificate true");
            }
        }

        if (Environment.UserName == "root")
        {
            // Started as root, mosquitto would switch to the 'mosquitto' user and lose access to the temp dir.
            lines.Add("user root");
        }

        await File.WriteAllLinesAsync(config, lines);
        var broker = new MosquittoBroker(port, dir, config) { Tls = pki is not null };
        await broker.StartAgainAsync();
        return broker;
    }

    public override async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            return;
        }

        var info = new ProcessStartInfo(Executable()) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(_config);
        _process?.Dispose();
        _process = System.Diagnostics.Process.Start(info) ?? throw new InvalidOperationException("mosquitto did not start");
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited with {_process.ExitCode}: {ReadLog()}");
            }

            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException)
            {
                await Task.Delay(10);
            }
        }

        throw new TimeoutException($"mosquitto did not listen on {Port} within 15 s: {ReadLog()}");
    }

    /// <summary>Graceful stop (SIGTERM): with persistence, the broker saves sessions and retained messages first.</summary>
    public override async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        using (var kill = System.Diagnostics.Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))!)
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    public string ReadLog() => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "(no log)";

    public override async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
