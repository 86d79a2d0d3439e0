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

    /// <summary>File with the username/password the embedded broker requires; mandatory beyond loopback.</summary>
    public string? CredentialsFile { get; set; }

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
        else if (Mode == BrokerMode.Embedded && !IPAddress.IsLoopback(endPoint.Address) && string.IsNullOrWhiteSpace(CredentialsFile))
        {
            yield return new($"is required for an embedded broker listening on '{Listen}' (beyond loopback)", [nameof(CredentialsFile)]);
        }
    }

    private static IPEndPoint? ParseListen(string listen)
    {
        var text = listen.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase) ? "127.0.0.1" + listen[9..] : listen;
        return IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port is > 0 and <= 65535 && text.Contains(':', StringComparison.Ordinal) ? endPoint : null;
    }
}
