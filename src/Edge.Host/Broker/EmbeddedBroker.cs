using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Edge.Host.Metrics;
using Edge.Host.Options;
using Edge.Host.Tls;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MQTTnet.Protocol;
using MQTTnet.Server;

namespace Edge.Host.Broker;

/// <summary>
/// <c>serve --broker embedded</c>: an MQTTnet.Server MQTT 5 broker in this process, so a coordinator and a few nodes
/// need nothing else installed. Nodes connect to it as to Mosquitto. Retained messages (each node's state and status)
/// are kept in <c>{data-dir}/broker</c> and survive a restart; sessions and queued messages live in memory only
/// (MQTTnet.Server cannot restore them), so a broker restart drops what it had queued for disconnected clients.
/// With a certificate it speaks MQTT over TLS only (a renewed certificate file is served from the next connection on),
/// and with a client CA it admits only clients whose certificate chains to it (checked in the handshake; refusals are
/// counted with the password refusals).
/// </summary>
public sealed partial class EmbeddedBroker : IHostedService, IAsyncDisposable
{
    /// <summary>The meter of the broker's instruments.</summary>
    public const string MeterName = "Edge.Broker";

    private readonly BrokerOptions _options;
    private readonly BrokerCredentials? _users;
    private readonly RetainedStore _retained;
    private readonly ILogger _logger;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private MqttServer? _server;
    private long _refused;
    private int _clients;
    private RenewingCertificate? _certificate;
    private long _retainedWriteFailures;

    /// <summary>Creates the broker (not started).</summary>
    /// <param name="options">Validated broker settings.</param>
    /// <param name="users">The users it admits; null admits anonymous clients (the settings allow that on loopback only).</param>
    /// <param name="dataDir">The node's data directory; retained messages go to its <c>broker</c> folder.</param>
    /// <param name="logger">Where connection refusals and storage problems are reported.</param>
    /// <param name="meterFactory">Makes the meter of the broker's instruments (the host's); a meter of its own when null.</param>
    public EmbeddedBroker(BrokerOptions options, BrokerCredentials? users, string dataDir, ILogger? logger = null, IMeterFactory? meterFactory = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _users = users;
        ArgumentException.ThrowIfNullOrEmpty(dataDir);
        _retained = new RetainedStore(Path.Combine(dataDir, "broker"));
        _logger = logger ?? NullLogger.Instance;
        _ownsMeter = meterFactory is null;
        _meter = Measurements.Create(meterFactory, MeterName);
        _meter.CreateObservableGauge("edge_broker_clients", ConnectedClients, description: "MQTT clients connected to the embedded broker.");
        _meter.CreateObservableCounter("edge_broker_refused_connections_total", () => Interlocked.Read(ref _refused),
            description: "Connections the embedded broker refused for bad or missing credentials or client certificates.");
        _meter.CreateObservableCounter("edge_broker_retained_write_failures_total", () => Interlocked.Read(ref _retainedWriteFailures),
            description: "Retained messages the embedded broker could not store on disk (they stay in memory).");
    }

    /// <summary>Where the broker listens (the configured address and port).</summary>
    public IPEndPoint EndPoint => _options.ListenEndPoint();

    /// <summary>Connections refused for bad or missing credentials.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    /// <inheritdoc />
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var endPoint = EndPoint;
        var server = new MqttServerFactory().CreateMqttServer(BuildServerOptions(endPoint));
        server.ValidatingConnectionAsync += ValidateConnectionAsync;
        server.ClientConnectedAsync += ClientConnectedAsync;
        server.ClientDisconnectedAsync += ClientDisconnectedAsync;
        server.LoadingRetainedMessageAsync += LoadRetainedAsync;
        server.RetainedMessageChangedAsync += SaveRetainedAsync;
        server.RetainedMessagesClearedAsync += ClearRetainedAsync;
        try
        {
            await server.StartAsync().ConfigureAwait(false);
        }
        catch (SocketException e)
        {
            server.Dispose();
            throw new BrokerListenException($"the embedded broker cannot listen on {endPoint}: {e.Message}", e);
        }

        _server = server;
        LogListening(endPoint, _options.UsesTls ? "TLS" : "plain TCP", Admitted());
    }

    /// <summary>One listener on the configured address: plain MQTT, or MQTT over TLS only when the broker has a certificate.</summary>
    private MqttServerOptions BuildServerOptions(IPEndPoint endPoint)
    {
        var v6 = endPoint.AddressFamily == AddressFamily.InterNetworkV6;
        // MQTTnet listens on IPv4 and IPv6 "any" unless told otherwise; the configured address is the only one.
        var (v4Address, v6Address) = v6 ? (IPAddress.None, endPoint.Address) : (endPoint.Address, IPAddress.None);
        var builder = new MqttServerOptionsBuilder().WithPersistentSessions();
        if (!_options.UsesTls)
        {
            return builder.WithDefaultEndpoint().WithDefaultEndpointPort(endPoint.Port)
                .WithDefaultEndpointBoundIPAddress(v4Address).WithDefaultEndpointBoundIPV6Address(v6Address)
                .Build();
        }

        _certificate = new RenewingCertificate(_options.CertFile!, _options.KeyFile!, LogCertificateNotRenewed);
        builder = builder.WithoutDefaultEndpoint().WithEncryptedEndpoint().WithEncryptedEndpointPort(endPoint.Port)
            .WithEncryptedEndpointBoundIPAddress(v4Address).WithEncryptedEndpointBoundIPV6Address(v6Address)
            .WithEncryptionSslProtocol(SslProtocols.Tls12 | SslProtocols.Tls13)
            .WithEncryptionCertificate(_certificate);
        if (_options.ClientCaFile is { } clientCa)
        {
            var trust = PemFiles.LoadCertificates(clientCa);
            builder = builder.WithClientCertificate((_, certificate, chain, _) => AdmitsCertificate(certificate, chain, trust));
        }

        return builder.Build();
    }

    /// <summary>The TLS handshake's check of a client certificate: it must chain to the client CA; a refusal is counted.</summary>
    private bool AdmitsCertificate(X509Certificate? certificate, X509Chain? chain, X509Certificate2Collection trust)
    {
        if (CertificateTrust.ChainsTo(certificate, chain, trust))
        {
            return true;
        }

        Interlocked.Increment(ref _refused);
        LogRefusedCertificate(certificate is null ? "no client certificate" : $"certificate '{certificate.Subject}' is not issued by {_options.ClientCaFile}");
        return false;
    }

    private string Admitted()
    {
        var who = new List<string>();
        if (_users is { } users)
        {
            who.Add($"{users.Count} user(s) from {_options.CredentialsFile}");
        }

        if (_options.ClientCaFile is { } clientCa)
        {
            who.Add($"client certificates issued by {clientCa}");
        }

        return who.Count > 0 ? string.Join(" with ", who) : "anonymous clients (loopback)";
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_server is { } server)
        {
            _server = null;
            await server.StopAsync(new MqttServerStopOptionsBuilder().Build()).ConfigureAwait(false);
            server.Dispose();
            Volatile.Write(ref _clients, 0);
            _certificate?.Dispose();
            _certificate = null;
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    // Kept by the connect/disconnect events, so a scrape reads a number instead of asking MQTTnet for every client's status.
    private int ConnectedClients() => Volatile.Read(ref _clients);

    private Task ClientConnectedAsync(ClientConnectedEventArgs e)
    {
        Interlocked.Increment(ref _clients);
        return Task.CompletedTask;
    }

    private Task ClientDisconnectedAsync(ClientDisconnectedEventArgs e)
    {
        Interlocked.Decrement(ref _clients);
        return Task.CompletedTask;
    }

    private Task ValidateConnectionAsync(ValidatingConnectionEventArgs e)
    {
        if (_users is { } users && !users.Admits(e.UserName, e.RawPassword ?? []))
        {
            e.ReasonCode = MqttConnectReasonCode.BadUserNameOrPassword;
            Interlocked.Increment(ref _refused);
            LogRefused(e.ClientId, e.RemoteEndPoint?.ToString(), e.UserName is null ? "no credentials" : $"bad credentials for user '{e.UserName}'");
        }

        return Task.CompletedTask;
    }

    private Task LoadRetainedAsync(LoadingRetainedMessagesEventArgs e)
    {
        e.LoadedRetainedMessages = _retained.Load(out var corrupt);
        foreach (var path in corrupt)
        {
            LogCorrupt(path);
        }

        LogLoaded(e.LoadedRetainedMessages.Count, _retained.Directory);
        return Task.CompletedTask;
    }

    private Task SaveRetainedAsync(RetainedMessageChangedEventArgs e)
    {
        try
        {
            _retained.Save(e.ChangedRetainedMessage);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The broker still holds it in memory and serves it; only a restart before the next change would lose it.
            Interlocked.Increment(ref _retainedWriteFailures);
            LogWriteFailed(e.ChangedRetainedMessage.Topic, ex.Message);
        }

        return Task.CompletedTask;
    }

    private Task ClearRetainedAsync(EventArgs e)
    {
        try
        {
            _retained.Clear();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _retainedWriteFailures);
            LogWriteFailed("(all)", ex.Message);
        }

        return Task.CompletedTask;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "embedded MQTT broker listening on {EndPoint} ({Transport}), admitting {Who}")]
    private partial void LogListening(IPEndPoint endPoint, string transport, string who);

    [LoggerMessage(Level = LogLevel.Warning, Message = "embedded broker refused a TLS client: {Reason}")]
    private partial void LogRefusedCertificate(string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "embedded broker keeps its current certificate: the changed one cannot be used: {Reason}")]
    private partial void LogCertificateNotRenewed(string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "embedded broker refused client '{ClientId}' from {Endpoint}: {Reason}")]
    private partial void LogRefused(string clientId, string? endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "embedded broker restored {Count} retained message(s) from {Directory}")]
    private partial void LogLoaded(int count, string directory);

    [LoggerMessage(Level = LogLevel.Error, Message = "embedded broker: retained message file {Path} is corrupt; moved aside as .corrupt (its node republishes on connect)")]
    private partial void LogCorrupt(string path);

    [LoggerMessage(Level = LogLevel.Error, Message = "embedded broker could not store the retained message of '{Topic}' on disk: {Reason}")]
    private partial void LogWriteFailed(string topic, string reason);
}

/// <summary>The embedded broker could not open its listener (address in use, not an address of this machine).</summary>
public sealed class BrokerListenException(string message, Exception inner) : IOException(message, inner);
