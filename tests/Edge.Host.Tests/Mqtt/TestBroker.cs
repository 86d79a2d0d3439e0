using Edge.Host.Broker;
using Edge.Host.Options;
using TUnit.Core.Interfaces;

namespace Edge.Host.Tests.Mqtt;

/// <summary>
/// The broker an MQTT test talks to: Mosquitto (the reference) when it is installed, else edge-host's own embedded
/// broker, so the tests pass on a machine with nothing else installed. <c>EDGE_TEST_BROKER=mosquitto|embedded</c>
/// forces one; CI runs the broker tests under both.
/// </summary>
internal abstract class TestBroker : IAsyncDisposable
{
    public const string Variable = "EDGE_TEST_BROKER";

    /// <summary>"mosquitto" or "embedded", chosen once per test session.</summary>
    public static string Kind { get; } = Choose();

    public abstract int Port { get; }

    public virtual string Uri => $"mqtt://127.0.0.1:{Port}";

    public abstract Task StopAsync();

    public abstract Task StartAgainAsync();

    public abstract ValueTask DisposeAsync();

    /// <summary>Starts the session's broker; with <paramref name="pki"/>, a TLS listener whose certificate that CA issued (and, when <paramref name="requireClientCertificate"/>, mutual TLS).</summary>
    public static async Task<TestBroker> StartAsync(Tls.TestPki? pki = null, bool requireClientCertificate = false) =>
        Kind == "mosquitto"
            ? await MosquittoBroker.StartAsync(pki: pki, requireClientCertificate: requireClientCertificate)
            : await EmbeddedTestBroker.StartAsync(pki, requireClientCertificate);

    /// <summary>Skips the calling test when the session's broker is not Mosquitto, saying what it needs that only Mosquitto has.</summary>
    public static void RequireMosquitto(string needs) =>
        Skip.When(Kind != "mosquitto", $"needs {needs}, which the embedded broker does not have; runs against Mosquitto ({Variable}=mosquitto, as CI does)");

    private static string Choose()
    {
        var forced = Environment.GetEnvironmentVariable(Variable);
        var kind = forced switch
        {
            null or "" => MosquittoBroker.IsInstalled() ? "mosquitto" : "embedded",
            "mosquitto" or "embedded" => forced,
            _ => throw new InvalidOperationException($"{Variable} must be 'mosquitto' or 'embedded', not '{forced}'"),
        };
        Console.WriteLine($"MQTT tests run against the {kind} broker ({Variable}={forced ?? "(unset)"})");
        return kind;
    }
}

/// <summary>edge-host's <see cref="EmbeddedBroker"/> in this process, on a loopback port; a restart keeps the port and the retained messages.</summary>
internal sealed class EmbeddedTestBroker : TestBroker
{
    private readonly BrokerOptions _options;
    private readonly string _dataDir = Directory.CreateTempSubdirectory("edge-embedded-broker-").FullName;
    private EmbeddedBroker? _broker;

    private EmbeddedTestBroker(BrokerOptions options, int port)
    {
        Port = port;
        _options = options;
    }

    public override int Port { get; }

    public override string Uri => $"{(_options.UsesTls ? "mqtts" : "mqtt")}://127.0.0.1:{Port}";

    public static new async Task<EmbeddedTestBroker> StartAsync(Tls.TestPki? pki, bool requireClientCertificate)
    {
        var port = Process.ChildHost.FreePort();
        var options = new BrokerOptions { Mode = BrokerMode.Embedded, Listen = $"127.0.0.1:{port}" };
        if (pki is not null)
        {
            (options.CertFile, options.KeyFile) = await pki.IssueAsync("embedded-broker", server: true);
            options.ClientCaFile = requireClientCertificate ? pki.CaFile : null;
        }

        var broker = new EmbeddedTestBroker(options, port);
        await broker.StartAgainAsync();
        return broker;
    }

    public override async Task StartAgainAsync()
    {
        if (_broker is not null)
        {
            return;
        }

        var broker = new EmbeddedBroker(_options, users: null, _dataDir);
        await broker.StartAsync(CancellationToken.None);
        _broker = broker;
    }

    public override async Task StopAsync()
    {
        if (_broker is { } broker)
        {
            _broker = null;
            await broker.DisposeAsync();
        }
    }

    public override async ValueTask DisposeAsync()
    {
        await StopAsync();
        Directory.Delete(_dataDir, recursive: true);
    }
}

/// <summary>One broker shared by every test of the session that does not stop its broker.</summary>
public sealed class SharedBroker : IAsyncInitializer, IAsyncDisposable
{
    private TestBroker? _broker;

    internal TestBroker Broker => _broker ?? throw new InvalidOperationException("Broker not started.");

    public string Uri => Broker.Uri;

    public int Port => Broker.Port;

    public async Task InitializeAsync() => _broker = await TestBroker.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_broker is not null)
        {
            await _broker.DisposeAsync();
        }
    }
}
