using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Options;
using Edge.Host.Options;
using Edge.Runtime;

namespace Edge.Host.Mqtt;

/// <summary>
/// Broker connection and fleet-sync settings (configuration section <c>Mqtt</c>, bound by the configuration binder's
/// source generator). <see cref="MqttOptionsValidator"/> holds every rule; <see cref="Validate"/> returns its first failure.
/// </summary>
public sealed record MqttOptions : IValidatableObject
{
    /// <summary>The default topic prefix: every topic is <c>{prefix}/{nodeId}/{leaf}</c>.</summary>
    public const string DefaultTopicPrefix = "edge/v1";

    /// <summary>Broker URI: <c>mqtt://host:port</c> (1883 when omitted) or <c>mqtts://host:port</c> (8883, TLS); <c>tcp://</c> and <c>ssl://</c> are aliases.</summary>
    public string Broker { get; set; } = "mqtt://127.0.0.1:1883";

    /// <summary>MQTT client id; the node id when null or empty.</summary>
    public string? ClientId { get; set; }

    /// <summary>User name for the broker, if it wants one.</summary>
    public string? Username { get; set; }

    /// <summary>Password for the broker, if it wants one.</summary>
    public string? Password { get; set; }

    /// <summary>A file holding the password (so it does not show in <c>ps</c>); read once at start into <see cref="Password"/>.</summary>
    public string? PasswordFile { get; set; }

    /// <summary>PEM CA certificate(s) the broker's certificate must chain to, instead of the system's trust store.</summary>
    public string? CaFile { get; set; }

    /// <summary>PEM client certificate presented to the broker (mutual TLS); with <see cref="KeyFile"/>. Re-read on every connect, so a renewed file is picked up.</summary>
    public string? CertFile { get; set; }

    /// <summary>PEM private key of <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; set; }

    /// <summary>Use TLS. Null: on for <c>mqtts://</c>, off for <c>mqtt://</c>.</summary>
    public bool? Tls { get; set; }

    /// <summary>Accept any server certificate (self-signed test brokers only).</summary>
    public bool AllowUntrustedCertificates { get; set; }

    /// <summary>Topic prefix, e.g. <c>edge/v1</c> or <c>acme/site-7/edge</c>. No wildcards, no leading or trailing '/'.</summary>
    public string TopicPrefix { get; set; } = DefaultTopicPrefix;

    /// <summary>How often a node publishes a heartbeat.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>MQTT keep-alive: the broker drops (and fires the last will of) a client silent for 1.5x this.</summary>
    public TimeSpan KeepAlive { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Coordinator: a node whose last heartbeat is older than this is marked Offline.</summary>
    public TimeSpan OfflineTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Largest accepted inbound payload; larger messages on the node's topics are rejected and counted.</summary>
    [WholeNumber(1024, 256 * 1024 * 1024)]
    public int MaxMessageBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// The node's JSON nesting limit (<c>--max-json-depth</c>, 1..<see cref="JsonLimits.MaxDepth"/>): the deepest state
    /// data an inbound message may carry. Every inbound payload is validated against it before it is parsed; a desired
    /// state's envelope adds one level around its <c>data</c>.
    /// </summary>
    [WholeNumber(1, JsonLimits.MaxDepth)]
    public int MaxJsonDepth { get; set; } = JsonLimits.DefaultDepth;

    /// <summary>First reconnect delay; doubled per failed attempt, with jitter.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Cap of the reconnect delay.</summary>
    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the broker keeps the node's session (and queues desired/deploy messages) while it is away. Zero: clean sessions.</summary>
    public TimeSpan SessionExpiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Timeout of one connect attempt.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The broker host from <see cref="Broker"/> (valid only after <see cref="Validate"/> passed).</summary>
    public string Host => new Uri(Broker).Host;

    /// <summary>The broker port from <see cref="Broker"/>, with the scheme's default.</summary>
    public int Port
    {
        get
        {
            var uri = new Uri(Broker);
            return uri.IsDefaultPort || uri.Port <= 0 ? (UseTls ? 8883 : 1883) : uri.Port;
        }
    }

    /// <summary>Whether the connection uses TLS (explicit <see cref="Tls"/>, else the scheme).</summary>
    public bool UseTls => Tls ?? (Broker.StartsWith("mqtts://", StringComparison.OrdinalIgnoreCase) || Broker.StartsWith("ssl://", StringComparison.OrdinalIgnoreCase));

    /// <summary>The effective client id for <paramref name="nodeId"/>.</summary>
    public string ClientIdFor(string nodeId) => string.IsNullOrWhiteSpace(ClientId) ? nodeId : ClientId;

    /// <summary>Null when every setting is valid, else one line naming the first bad setting and why.</summary>
    public string? Validate() => new MqttOptionsValidator().Validate(null, this).Failures?.FirstOrDefault();

    IEnumerable<ValidationResult> IValidatableObject.Validate(ValidationContext validationContext)
    {
        if (ValidateBroker(Broker) is { } brokerError)
        {
            yield return new(brokerError, [nameof(Broker)]);
        }

        if (ClientId is { Length: > 0 } id && (id.Length > 128 || id.AsSpan().IndexOfAny("/+#\0") >= 0))
        {
            yield return new($"client id '{id}' is invalid: at most 128 characters, none of '/', '+', '#'", [nameof(ClientId)]);
        }

        if (Password is { Length: > 0 } && string.IsNullOrEmpty(Username))
        {
            yield return new("a password is set without a username", [nameof(Password)]);
        }

        if (AllowUntrustedCertificates && !UseTls)
        {
            yield return new("allow-untrusted is set but TLS is off (use mqtts:// or set mqtt tls)", [nameof(AllowUntrustedCertificates)]);
        }

        if (string.IsNullOrEmpty(CertFile) != string.IsNullOrEmpty(KeyFile))
        {
            yield return new("a client certificate needs both --mqtt-cert and --mqtt-key", [string.IsNullOrEmpty(CertFile) ? nameof(CertFile) : nameof(KeyFile)]);
        }

        foreach (var (file, name) in new[] { (CaFile, nameof(CaFile)), (CertFile, nameof(CertFile)) })
        {
            if (!string.IsNullOrEmpty(file) && !UseTls)
            {
                yield return new($"is set but TLS is off: use an mqtts:// broker URI (or --mqtt-tls)", [name]);
            }
        }

        if (ValidatePrefix(TopicPrefix) is { } prefixError)
        {
            yield return new(prefixError, [nameof(TopicPrefix)]);
        }

        var durations = new[]
        {
            Within(HeartbeatInterval, TimeSpan.FromHours(1), nameof(HeartbeatInterval)),
            KeepAlive < TimeSpan.FromSeconds(1) || KeepAlive > TimeSpan.FromSeconds(65535)
                ? new($"({Format(KeepAlive)}) must be between 1s and 65535s", [nameof(KeepAlive)])
                : null,
            Within(OfflineTimeout, TimeSpan.FromDays(1), nameof(OfflineTimeout)),
            OfflineTimeout <= HeartbeatInterval
                ? new($"({Format(OfflineTimeout)}) must be longer than the heartbeat interval ({Format(HeartbeatInterval)})", [nameof(OfflineTimeout)])
                : null,
            Within(ReconnectMinDelay, TimeSpan.FromDays(1), nameof(ReconnectMinDelay)),
            ReconnectMaxDelay < ReconnectMinDelay
                ? new($"({Format(ReconnectMaxDelay)}) must not be below the min delay ({Format(ReconnectMinDelay)})", [nameof(ReconnectMaxDelay)])
                : null,
            SessionExpiry < TimeSpan.Zero || SessionExpiry > TimeSpan.FromSeconds(uint.MaxValue - 1)
                ? new($"({Format(SessionExpiry)}) must be between 0s and {uint.MaxValue - 1}s", [nameof(SessionExpiry)])
                : null,
            Within(ConnectTimeout, TimeSpan.FromDays(1), nameof(ConnectTimeout)),
        };
        foreach (var problem in durations)
        {
            if (problem is not null)
            {
                yield return problem;
            }
        }
    }

    /// <summary>The one broker-URI rule: <c>mqtt://</c>, <c>mqtts://</c> (aliases <c>tcp://</c>, <c>ssl://</c>), a host, no path, no credentials.</summary>
    public static string? ValidateBroker(string? broker)
    {
        if (string.IsNullOrWhiteSpace(broker)
            || !Uri.TryCreate(broker, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("mqtt" or "mqtts" or "tcp" or "ssl")
            || string.IsNullOrEmpty(uri.Host)
            || (uri.AbsolutePath.Length > 0 && uri.AbsolutePath != "/")
            || uri.Query.Length > 0)
        {
            return $"'{broker}' is not a broker URI like mqtt://host:1883 or mqtts://host:8883 (tcp:// and ssl:// are aliases)";
        }

        return string.IsNullOrEmpty(uri.UserInfo)
            ? null
            : "must not carry credentials: use the mqtt username and password settings";
    }

    internal static string? ValidatePrefix(string? prefix)
    {
        if (string.IsNullOrWhiteSpace(prefix)
            || prefix.StartsWith('/')
            || prefix.EndsWith('/')
            || prefix.Contains("//", StringComparison.Ordinal)
            || prefix.AsSpan().IndexOfAny("+#\0") >= 0
            || prefix.StartsWith('$'))
        {
            return $"'{prefix}' is not a topic prefix: non-empty, no '+', '#', leading '$' or leading/trailing/double '/'";
        }

        return null;
    }

    // Records print every property; keep the password out of logs and never throw from ToString.
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture, $"Broker = {Broker}, ClientId = {ClientId}, Username = {Username}, ")
            .Append(CultureInfo.InvariantCulture, $"Password = {(string.IsNullOrEmpty(Password) ? "" : "***")}, Tls = {Tls}, ")
            .Append(CultureInfo.InvariantCulture, $"TopicPrefix = {TopicPrefix}, HeartbeatInterval = {HeartbeatInterval}, ")
            .Append(CultureInfo.InvariantCulture, $"OfflineTimeout = {OfflineTimeout}, MaxMessageBytes = {MaxMessageBytes}, MaxJsonDepth = {MaxJsonDepth}");
        return true;
    }

    private static ValidationResult? Within(TimeSpan value, TimeSpan max, string member) =>
        value <= TimeSpan.Zero || value > max ? new($"({Format(value)}) must be greater than zero and at most {Format(max)}", [member]) : null;

    private static string Format(TimeSpan t) =>
        t.TotalSeconds >= 1 || t == TimeSpan.Zero
            ? t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s"
            : t.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
}

/// <summary>Every rule of <see cref="MqttOptions"/>, generated from its attributes and <see cref="IValidatableObject"/>.</summary>
[OptionsValidator]
public sealed partial class MqttOptionsValidator : IValidateOptions<MqttOptions>;
