using System.Buffers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Edge.Host.Tls;
using MQTTnet;
using MQTTnet.Exceptions;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Edge.Host.Mqtt;

/// <summary><see cref="IMqttTransport"/> over an MQTTnet 5 client speaking MQTT 5.</summary>
public sealed class MqttNetTransport : IMqttTransport
{
    private readonly MqttOptions _options;
    private readonly IMqttClient _client;
    private readonly int _maxPayloadBytes;
    private volatile bool _closing;

    /// <summary>Creates a transport for the broker in <paramref name="options"/> (validated by the caller).</summary>
    /// <param name="options">Broker, credentials, TLS and limits.</param>
    /// <param name="maxPayloadBytes">Payloads above this are not copied; they arrive flagged oversize. Defaults to <see cref="MqttOptions.MaxMessageBytes"/>.</param>
    public MqttNetTransport(MqttOptions options, int? maxPayloadBytes = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _maxPayloadBytes = maxPayloadBytes ?? options.MaxMessageBytes;
        _client = new MqttClientFactory().CreateMqttClient();
        _client.ApplicationMessageReceivedAsync += OnMessageAsync;
        _client.DisconnectedAsync += OnDisconnectedAsync;
    }

    /// <inheritdoc />
    public bool IsConnected => _client.IsConnected;

    /// <inheritdoc />
    public event Func<MqttIncomingMessage, Task>? MessageReceived;

    /// <inheritdoc />
    public event Action<string>? ConnectionLost;

    /// <inheritdoc />
    public async Task ConnectAsync(MqttConnectRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var builder = new MqttClientOptionsBuilder()
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithTcpServer(_options.Host, _options.Port)
            .WithClientId(request.ClientId)
            .WithKeepAlivePeriod(_options.KeepAlive)
            .WithTimeout(_options.ConnectTimeout)
            .WithCleanStart(request.SessionExpiry <= TimeSpan.Zero)
            .WithSessionExpiryInterval((uint)Math.Max(0, request.SessionExpiry.TotalSeconds));
        if (!string.IsNullOrEmpty(_options.Username))
        {
            builder.WithCredentials(_options.Username, _options.Password ?? "");
        }

        if (_options.UseTls)
        {
            // Read on every connect: a renewed certificate or CA bundle is picked up without a restart.
            var trust = string.IsNullOrEmpty(_options.CaFile) ? null : PemFiles.LoadCertificates(_options.CaFile);
            var identity = string.IsNullOrEmpty(_options.CertFile) ? null : PemFiles.LoadCertificate(_options.CertFile, _options.KeyFile!);
            var allowUntrusted = _options.AllowUntrustedCertificates;
            builder.WithTlsOptions(tls =>
            {
                tls.UseTls();
                tls.WithTargetHost(_options.Host);
                if (allowUntrusted)
                {
                    tls.WithAllowUntrustedCertificates();
                    tls.WithIgnoreCertificateChainErrors();
                    tls.WithIgnoreCertificateRevocationErrors();
                    tls.WithCertificateValidationHandler(static _ => true);
                }
                else if (trust is not null)
                {
                    // The broker's certificate must chain to these CAs only (a private PKI, usually without a CRL).
                    tls.WithCertificateValidationHandler(e => ChainsTo(e, trust));
                }

                if (identity is not null)
                {
                    tls.WithClientCertificates([identity]);
                }
            });
        }

        if (request.WillTopic is not null)
        {
            builder.WithWillTopic(request.WillTopic)
                .WithWillPayload(request.WillPayload.ToArray())
                .WithWillRetain(request.WillRetain)
                .WithWillQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
                .WithWillContentType("application/json");
        }

        _closing = false;
        var result = await _client.ConnectAsync(builder.Build(), cancellationToken).ConfigureAwait(false);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            throw new InvalidOperationException($"Broker refused the connection: {result.ResultCode} {result.ReasonString}");
        }
    }

    /// <summary>True when the server certificate is for the host dialled and chains to one of <paramref name="trust"/>.</summary>
    private static bool ChainsTo(MqttClientCertificateValidationEventArgs e, X509Certificate2Collection trust) =>
        // Only chain errors are left to the private CA to settle; no certificate, or one for another name, is refused.
        (e.SslPolicyErrors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None && CertificateTrust.ChainsTo(e.Certificate, e.Chain, trust);

    /// <inheritdoc />
    public async Task PublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttDelivery delivery, bool retain, CancellationToken cancellationToken)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayloadSegment(payload)
            .WithQualityOfServiceLevel(delivery == MqttDelivery.AtLeastOnce ? MqttQualityOfServiceLevel.AtLeastOnce : MqttQualityOfServiceLevel.AtMostOnce)
            .WithRetainFlag(retain)
            .WithContentType("application/json")
            .Build();
        MqttClientPublishResult result;
        try
        {
            result = await _client.PublishAsync(message, cancellationToken).ConfigureAwait(false);
        }
        catch (MqttCommunicationException e)
        {
            // Callers see transport failures as I/O, whatever MQTTnet's own exception type (not connected, lost, timed out).
            throw new IOException($"MQTT publish to '{topic}' failed: {e.Message}", e);
        }

        // NoMatchingSubscribers (0x10) is a success: the broker took the message.
        if ((int)result.ReasonCode >= 0x80)
        {
            throw new MqttPublishRejectedException(topic, $"{result.ReasonCode} {result.ReasonString}".Trim());
        }
    }

    /// <inheritdoc />
    public async Task SubscribeAsync(IReadOnlyList<(string Filter, MqttDelivery Delivery)> filters, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filters);
        var builder = new MqttClientSubscribeOptionsBuilder();
        foreach (var (filter, delivery) in filters)
        {
            builder.WithTopicFilter(filter, delivery == MqttDelivery.AtLeastOnce ? MqttQualityOfServiceLevel.AtLeastOnce : MqttQualityOfServiceLevel.AtMostOnce);
        }

        var result = await _client.SubscribeAsync(builder.Build(), cancellationToken).ConfigureAwait(false);
        foreach (var item in result.Items)
        {
            if ((int)item.ResultCode >= 0x80)
            {
                throw new InvalidOperationException($"Broker refused subscription '{item.TopicFilter.Topic}': {item.ResultCode}");
            }
        }
    }

    /// <inheritdoc />
    public async Task DisconnectAsync(CancellationToken cancellationToken)
    {
        _closing = true;
        if (!_client.IsConnected)
        {
            return;
        }

        var options = new MqttClientDisconnectOptionsBuilder().WithReason(MqttClientDisconnectOptionsReason.NormalDisconnection).Build();
        await _client.DisconnectAsync(options, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _closing = true;
        _client.ApplicationMessageReceivedAsync -= OnMessageAsync;
        _client.DisconnectedAsync -= OnDisconnectedAsync;
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private Task OnMessageAsync(MqttApplicationMessageReceivedEventArgs e)
    {
        var handler = MessageReceived;
        if (handler is null)
        {
            return Task.CompletedTask;
        }

        var message = e.ApplicationMessage;
        var length = message.Payload.Length;

        // The payload buffer belongs to MQTTnet and may be reused after this handler; take a copy (unless oversize).
        var incoming = length > _maxPayloadBytes
            ? new MqttIncomingMessage(message.Topic, ReadOnlyMemory<byte>.Empty, message.Retain, length)
            : new MqttIncomingMessage(message.Topic, message.Payload.ToArray(), message.Retain);
        return handler(incoming);
    }

    private Task OnDisconnectedAsync(MqttClientDisconnectedEventArgs e)
    {
        if (e.ClientWasConnected && !_closing)
        {
            ConnectionLost?.Invoke(e.Exception?.Message ?? e.Reason.ToString());
        }

        return Task.CompletedTask;
    }
}
