using System.Globalization;
using Edge.Runtime;

namespace Edge.Host.Mqtt;

/// <summary>
/// Broker connection and fleet-sync settings. Plain settable properties so the host can bind flags, EDGE_* variables
/// and the JSON config onto one instance; <see cref="Validate"/> then returns one line naming the first bad setting.
/// </summary>
public sealed record MqttOptions
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
    public int MaxMessageBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// The node's JSON nesting limit (<c>--max-json-depth</c>, 1..<see cref="JsonLimits.MaxDepth"/>): the deepest state
    /// data an inbound message may carry. Every inbound payload is validated against it before it is parsed; a desired
    /// state's envelope adds one level around its <c>data</c>.
    /// </summary>
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

    /// <summary>Options for <paramref name="brokerUri"/> with every other setting at its default.</summary>
    /// <exception cref="FormatException">The URI (or a default) is invalid; the message is the one-line reason.</exception>
    public static MqttOptions Parse(string brokerUri)
    {
        var options = new MqttOptions { Broker = brokerUri };
        if (options.Validate() is { } error)
        {
            throw new FormatException(error);
        }

        return options;
    }

    /// <summary>The effective client id for <paramref name="nodeId"/>.</summary>
    public string ClientIdFor(string nodeId) => string.IsNullOrWhiteSpace(ClientId) ? nodeId : ClientId;

    /// <summary>Null when every setting is valid, else one line naming the first bad setting and why.</summary>
    public string? Validate()
    {
        if (string.IsNullOrWhiteSpace(Broker)
            || !Uri.TryCreate(Broker, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("mqtt" or "mqtts" or "tcp" or "ssl")
            || string.IsNullOrEmpty(uri.Host)
            || (uri.AbsolutePath.Length > 0 && uri.AbsolutePath != "/")
            || uri.Query.Length > 0)
        {
            return $"mqtt broker (--mqtt / EDGE_MQTT) '{Broker}' is invalid: expected mqtt://host:port or mqtts://host:port";
        }

        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            return "mqtt broker (--mqtt / EDGE_MQTT) must not carry credentials: use the mqtt username and password settings";
        }

        if (ClientId is { Length: > 0 } id && (id.Length > 128 || id.AsSpan().IndexOfAny("/+#\0") >= 0))
        {
            return $"mqtt client id '{id}' is invalid: at most 128 characters, none of '/', '+', '#'";
        }

        if (Password is { Length: > 0 } && string.IsNullOrEmpty(Username))
        {
            return "mqtt password is set without an mqtt username";
        }

        if (AllowUntrustedCertificates && !UseTls)
        {
            return "mqtt allow-untrusted is set but TLS is off (use mqtts:// or set mqtt tls)";
        }

        if (ValidatePrefix(TopicPrefix) is { } prefixError)
        {
            return prefixError;
        }

        return Positive(HeartbeatInterval, "mqtt heartbeat interval")
            ?? Range(KeepAlive, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(65535), "mqtt keep-alive")
            ?? (OfflineTimeout <= HeartbeatInterval
                ? $"mqtt offline timeout ({Format(OfflineTimeout)}) must be longer than the heartbeat interval ({Format(HeartbeatInterval)})"
                : null)
            ?? (MaxMessageBytes is < 1024 or > 256 * 1024 * 1024
                ? $"mqtt max message bytes ({MaxMessageBytes}) must be between 1024 and 268435456"
                : null)
            ?? (MaxJsonDepth is < 1 or > JsonLimits.MaxDepth
                ? $"mqtt max JSON depth ({MaxJsonDepth}) must be between 1 and {JsonLimits.MaxDepth}"
                : null)
            ?? Positive(ReconnectMinDelay, "mqtt reconnect min delay")
            ?? (ReconnectMaxDelay < ReconnectMinDelay
                ? $"mqtt reconnect max delay ({Format(ReconnectMaxDelay)}) must not be below the min delay ({Format(ReconnectMinDelay)})"
                : null)
            ?? Range(SessionExpiry, TimeSpan.Zero, TimeSpan.FromSeconds(uint.MaxValue - 1), "mqtt session expiry")
            ?? Positive(ConnectTimeout, "mqtt connect timeout");
    }

    /// <summary>
    /// Sets one option from text, by its key (<c>broker</c>, <c>client-id</c>, <c>username</c>, <c>password</c>, <c>tls</c>,
    /// <c>allow-untrusted</c>, <c>topic-prefix</c>, <c>heartbeat</c>, <c>keep-alive</c>, <c>offline-timeout</c>,
    /// <c>max-message-bytes</c>, <c>reconnect-min</c>, <c>reconnect-max</c>, <c>session-expiry</c>, <c>poll</c>,
    /// <c>connect-timeout</c>; case-insensitive, '_' and '-' alike). Durations take <c>500ms</c>, <c>5s</c>, <c>2m</c>,
    /// <c>1h</c> or plain seconds.
    /// </summary>
    /// <returns>Null when set, else one line naming the key and why.</returns>
    public string? TrySet(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        var k = key.Replace('_', '-').ToLowerInvariant();
        switch (k)
        {
            case "broker" or "url" or "uri": Broker = value; return null;
            case "client-id": ClientId = value; return null;
            case "username" or "user": Username = value; return null;
            case "password": Password = value; return null;
            case "topic-prefix" or "prefix": TopicPrefix = value; return null;
            case "tls":
                return TryParseBool(value, out var tls) ? Set(() => Tls = tls) : $"mqtt {k} '{value}' is not a boolean";
            case "allow-untrusted":
                return TryParseBool(value, out var au) ? Set(() => AllowUntrustedCertificates = au) : $"mqtt {k} '{value}' is not a boolean";
            case "max-message-bytes":
                return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var max)
                    ? Set(() => MaxMessageBytes = max)
                    : $"mqtt {k} '{value}' is not an integer";
        }

        if (!TryParseDuration(value, out var d))
        {
            return IsDurationKey(k)
                ? $"mqtt {k} '{value}' is not a duration (e.g. 500ms, 5s, 2m, 1h)"
                : $"unknown mqtt setting '{key}'";
        }

        switch (k)
        {
            case "heartbeat" or "heartbeat-interval": HeartbeatInterval = d; return null;
            case "keep-alive" or "keepalive": KeepAlive = d; return null;
            case "offline-timeout": OfflineTimeout = d; return null;
            case "reconnect-min" or "reconnect-min-delay": ReconnectMinDelay = d; return null;
            case "reconnect-max" or "reconnect-max-delay": ReconnectMaxDelay = d; return null;
            case "session-expiry": SessionExpiry = d; return null;
            case "connect-timeout": ConnectTimeout = d; return null;
            default: return $"unknown mqtt setting '{key}'";
        }
    }

    /// <summary>Parses <c>250ms</c>, <c>5s</c>, <c>2m</c>, <c>1h</c>, plain seconds (<c>1.5</c>) or a TimeSpan (<c>00:00:05</c>).</summary>
    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        var s = text.Trim();
        if (s.Length == 0)
        {
            return false;
        }

        if (s.Contains(':', StringComparison.Ordinal))
        {
            return TimeSpan.TryParse(s, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
        }

        var (number, scale) = s switch
        {
            _ when s.EndsWith("ms", StringComparison.OrdinalIgnoreCase) => (s[..^2], 0.001),
            _ when s.EndsWith('s') || s.EndsWith('S') => (s[..^1], 1.0),
            _ when s.EndsWith('m') || s.EndsWith('M') => (s[..^1], 60.0),
            _ when s.EndsWith('h') || s.EndsWith('H') => (s[..^1], 3600.0),
            _ => (s, 1.0),
        };
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n < 0 || double.IsInfinity(n) || n * scale > 1e9)
        {
            return false;
        }

        value = TimeSpan.FromSeconds(n * scale);
        return true;
    }

    internal static string? ValidatePrefix(string prefix)
    {
        if (string.IsNullOrWhiteSpace(prefix)
            || prefix.StartsWith('/')
            || prefix.EndsWith('/')
            || prefix.Contains("//", StringComparison.Ordinal)
            || prefix.AsSpan().IndexOfAny("+#\0") >= 0
            || prefix.StartsWith('$'))
        {
            return $"mqtt topic prefix '{prefix}' is invalid: non-empty, no '+', '#', leading '$' or leading/trailing/double '/'";
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

    private static bool IsDurationKey(string k) => k is "heartbeat" or "heartbeat-interval" or "keep-alive" or "keepalive"
        or "offline-timeout" or "reconnect-min" or "reconnect-min-delay" or "reconnect-max" or "reconnect-max-delay"
        or "session-expiry" or "connect-timeout";

    private static string? Set(Action assign)
    {
        assign();
        return null;
    }

    private static bool TryParseBool(string value, out bool result)
    {
        switch (value.Trim().ToLowerInvariant())
        {
            case "1" or "true" or "yes" or "on": result = true; return true;
            case "0" or "false" or "no" or "off": result = false; return true;
            default: result = false; return false;
        }
    }

    private static string? Positive(TimeSpan value, string name) =>
        value <= TimeSpan.Zero ? $"{name} ({Format(value)}) must be greater than zero" : null;

    private static string? Range(TimeSpan value, TimeSpan min, TimeSpan max, string name) =>
        value < min || value > max ? $"{name} ({Format(value)}) must be between {Format(min)} and {Format(max)}" : null;

    private static string Format(TimeSpan t) =>
        t.TotalSeconds >= 1 || t == TimeSpan.Zero
            ? t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s"
            : t.TotalMilliseconds.ToString("0.###", CultureInfo.InvariantCulture) + "ms";
}
