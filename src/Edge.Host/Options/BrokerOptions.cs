using System.ComponentModel.DataAnnotations;
using System.Net;

namespace Edge.Host.Options;

/// <summary>Which MQTT broker the fleet uses.</summary>
public enum BrokerMode
{
    /// <summary>A broker outside this process (Mosquitto or any MQTT 5 broker), named by <c>--mqtt</c>.</summary>
    External,

    /// <summary>An MQTTnet.Server broker inside this process.</summary>
    Embedded,
}

/// <summary>The embedded broker (configuration section <c>Broker</c>): <c>serve --broker embedded</c>.</summary>
public sealed class BrokerOptions : IValidatableObject
{
    public const string DefaultListen = "127.0.0.1:1883";

    public BrokerMode Mode { get; set; } = BrokerMode.External;

    /// <summary>HOST:PORT the embedded broker listens on; loopback by default.</summary>
    public string Listen { get; set; } = DefaultListen;

    /// <summary>File with the username/password the embedded broker requires; beyond loopback it or <see cref="ClientCaFile"/> is mandatory.</summary>
    public string? CredentialsFile { get; set; }

    /// <summary>PEM certificate of the broker (with <see cref="KeyFile"/>): the broker then speaks MQTT over TLS only.</summary>
    public string? CertFile { get; set; }

    /// <summary>PEM private key of <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>PEM CA certificate(s): clients must present a certificate that chains to one (mutual TLS); needs <see cref="CertFile"/>.</summary>
    public string? ClientCaFile { get; set; }

    /// <summary>True when the broker listens with TLS.</summary>
    public bool UsesTls => !string.IsNullOrWhiteSpace(CertFile);

    /// <summary>The parsed <see cref="Listen"/> (valid once validated).</summary>
    public IPEndPoint ListenEndPoint() => ParseListen(Listen)!;

    /// <summary>The parsed <see cref="Listen"/>, or null when it is not HOST:PORT.</summary>
    public IPEndPoint? TryListenEndPoint() => ParseListen(Listen);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (ParseListen(Listen) is not { } endPoint)
        {
            yield return new($"'{Listen}' is not HOST:PORT with an IP address (or localhost) and a port from 1 to 65535", [nameof(Listen)]);
        }
        else if (Mode == BrokerMode.Embedded && !IPAddress.IsLoopback(endPoint.Address) && string.IsNullOrWhiteSpace(CredentialsFile) && string.IsNullOrWhiteSpace(ClientCaFile))
        {
            yield return new($"is required for an embedded broker listening on '{Listen}' (beyond loopback), unless clients must present certificates (--broker-client-ca)", [nameof(CredentialsFile)]);
        }

        if (string.IsNullOrWhiteSpace(CertFile) != string.IsNullOrWhiteSpace(KeyFile))
        {
            yield return new("needs both --broker-cert and --broker-key", [string.IsNullOrWhiteSpace(CertFile) ? nameof(CertFile) : nameof(KeyFile)]);
        }

        if (!string.IsNullOrWhiteSpace(ClientCaFile) && string.IsNullOrWhiteSpace(CertFile))
        {
            yield return new("needs a TLS listener: client certificates are checked in the TLS handshake (give --broker-cert and --broker-key)", [nameof(ClientCaFile)]);
        }
    }

    private static IPEndPoint? ParseListen(string listen)
    {
        var text = listen.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" + listen[9..] : listen;
        return IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port is > 0 and <= 65535 && text.Contains(':', StringComparison.Ordinal) ? endPoint : null;
    }
}
