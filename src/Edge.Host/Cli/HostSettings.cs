using System.Globalization;
using System.Net;
using System.Text.Json;
using Edge.Runtime;

namespace Edge.Host.Cli;

/// <summary>Everything `serve` (and the one-shot commands) can be configured with. Defaults need nothing else.</summary>
public sealed class HostSettings
{
    public string Urls { get; set; } = "http://127.0.0.1:8080";

    public string DataDir { get; set; } = "./edge-data";

    public string NodeId { get; set; } = DefaultNodeId();

    public string? NodeName { get; set; }

    public string Location { get; set; } = "";

    public IReadOnlyList<string> Capabilities { get; set; } = [];

    public string? Token { get; set; }

    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    public int MaxJsonDepth { get; set; } = JsonLimits.DefaultDepth;

    public ConflictStrategy ConflictStrategy { get; set; } = ConflictStrategy.RemoteWins;

    public int MaxPending { get; set; } = 10_000;

    public JournalDurability Durability { get; set; } = JournalDurability.GroupCommit;

    public string? Mqtt { get; set; }

    public string? MqttClientId { get; set; }

    public string? MqttUsername { get; set; }

    public string? MqttPassword { get; set; }

    public bool MqttTls { get; set; }

    public string MqttTopicPrefix { get; set; } = "edge/v1";

    public double HeartbeatSeconds { get; set; } = 5;

    public double OfflineAfterSeconds { get; set; } = 15;

    public bool Coordinator { get; set; }

    public string? ConfigFile { get; set; }

    /// <summary>The settings every command accepts, with their flag, environment variable and config-file key.</summary>
    public static IReadOnlyList<Setting> All { get; } =
    [
        new("urls", "EDGE_URLS", "URL(s) to listen on, ';'-separated", (s, v) => s.Urls = v),
        new("data-dir", "EDGE_DATA_DIR", "directory for the durable state journal", (s, v) => s.DataDir = v),
        new("node-id", "EDGE_NODE_ID", "this node's id (default: host name)", (s, v) => s.NodeId = v),
        new("node-name", "EDGE_NODE_NAME", "display name (default: node id)", (s, v) => s.NodeName = v),
        new("location", "EDGE_LOCATION", "where the node is", (s, v) => s.Location = v),
        new("capabilities", "EDGE_CAPABILITIES", "comma-separated capabilities, e.g. gpu,camera", (s, v) =>
            s.Capabilities = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)),
        new("token", "EDGE_TOKEN", "bearer token required on /v1 (required when binding beyond loopback)", (s, v) => s.Token = v),
        new("max-body-bytes", "EDGE_MAX_BODY_BYTES", "largest request body in bytes (default 1048576)", (s, v) => s.MaxBodyBytes = ParseLong(v, 1, 1L << 30)),
        new("max-json-depth", "EDGE_MAX_JSON_DEPTH", $"deepest JSON nesting accepted (default {JsonLimits.DefaultDepth}, at most {JsonLimits.MaxDepth})", (s, v) => s.MaxJsonDepth = (int)ParseLong(v, 1, JsonLimits.MaxDepth)),
        new("conflict-strategy", "EDGE_CONFLICT_STRATEGY", "remote-wins | local-wins | latest-wins", (s, v) => s.ConflictStrategy = ParseStrategy(v)),
        new("max-pending", "EDGE_MAX_PENDING", "unconfirmed changes kept before the oldest are dropped (default 10000)", (s, v) => s.MaxPending = (int)ParseLong(v, 1, 10_000_000)),
        new("durability", "EDGE_DURABILITY", "group-commit | per-write (fsync batching of the journal)", (s, v) => s.Durability = ParseDurability(v)),
        new("mqtt", "EDGE_MQTT", "broker URI, e.g. mqtt://127.0.0.1:1883 (standalone when absent)", (s, v) => s.Mqtt = v),
        new("mqtt-client-id", "EDGE_MQTT_CLIENT_ID", "MQTT client id (default: node id)", (s, v) => s.MqttClientId = v),
        new("mqtt-username", "EDGE_MQTT_USERNAME", "MQTT user name", (s, v) => s.MqttUsername = v),
        new("mqtt-password", "EDGE_MQTT_PASSWORD", "MQTT password", (s, v) => s.MqttPassword = v),
        new("mqtt-tls", "EDGE_MQTT_TLS", "true to use TLS to the broker", (s, v) => s.MqttTls = ParseBool(v)),
        new("mqtt-topic-prefix", "EDGE_MQTT_TOPIC_PREFIX", "topic prefix (default edge/v1)", (s, v) => s.MqttTopicPrefix = v),
        new("heartbeat-seconds", "EDGE_HEARTBEAT_SECONDS", "MQTT heartbeat interval (default 5)", (s, v) => s.HeartbeatSeconds = ParseDouble(v, 0.1, 3600)),
        new("offline-after-seconds", "EDGE_OFFLINE_AFTER_SECONDS", "coordinator: heartbeat age that marks a node Offline (default 15)", (s, v) => s.OfflineAfterSeconds = ParseDouble(v, 0.5, 86_400)),
        new("coordinator", "EDGE_COORDINATOR", "true to build the cluster from the fleet's heartbeats", (s, v) => s.Coordinator = ParseBool(v), IsSwitch: true),
    ];

    /// <summary>Applies flags over environment over config file over defaults.</summary>
    /// <exception cref="SettingsException">A value is invalid; the message names the setting.</exception>
    public static HostSettings Load(IReadOnlyDictionary<string, string> flags, Func<string, string?> environment)
    {
        var settings = new HostSettings();
        var configFile = flags.GetValueOrDefault("config") ?? environment("EDGE_CONFIG");
        if (configFile is not null)
        {
            settings.ConfigFile = configFile;
            ApplyConfigFile(settings, configFile);
        }

        foreach (var setting in All)
        {
            if (environment(setting.Env) is { } value)
            {
                setting.ApplyFrom(settings, value, setting.Env);
            }
        }

        foreach (var setting in All)
        {
            if (flags.TryGetValue(setting.Flag, out var value))
            {
                setting.ApplyFrom(settings, value, "--" + setting.Flag);
            }
        }

        settings.Validate();
        return settings;
    }

    /// <summary>True when every URL binds only to a loopback address.</summary>
    public bool IsLoopbackOnly()
    {
        foreach (var url in SplitUrls())
        {
            if (!Uri.TryCreate(url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri))
            {
                return false;
            }

            var host = uri.Host;
            var loopback = host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
            if (!loopback)
            {
                return false;
            }
        }

        return true;
    }

    public string[] SplitUrls() => Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private void Validate()
    {
        if (SplitUrls().Length == 0)
        {
            throw new SettingsException("urls", "must name at least one URL");
        }

        foreach (var url in SplitUrls())
        {
            if (!Uri.TryCreate(url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new SettingsException("urls", $"'{url}' is not an http:// or https:// URL");
            }
        }

        if (Node.NodeIds.Validate(NodeId) is { } idProblem)
        {
            throw new SettingsException("node-id", idProblem);
        }

        if (string.IsNullOrWhiteSpace(DataDir))
        {
            throw new SettingsException("data-dir", "must not be empty");
        }

        if (Token is not null && string.IsNullOrWhiteSpace(Token))
        {
            throw new SettingsException("token", "must not be empty or white space (leave it unset to run without one on loopback)");
        }

        if (Token is not null && Token.Trim().Length != Token.Length)
        {
            throw new SettingsException("token", "must not start or end with white space");
        }

        if (Token is not null && Token.Length < 16)
        {
            throw new SettingsException("token", "must be at least 16 characters");
        }

        if (!IsLoopbackOnly() && Token is null)
        {
            throw new SettingsException("token", $"is required to listen on '{Urls}' (beyond loopback); set --token or EDGE_TOKEN");
        }

        if (Mqtt is not null
            && (!Uri.TryCreate(Mqtt, UriKind.Absolute, out var broker) || broker.Scheme is not ("mqtt" or "mqtts" or "tcp")))
        {
            throw new SettingsException("mqtt", $"'{Mqtt}' is not a broker URI like mqtt://host:1883");
        }

        if (Coordinator && Mqtt is null)
        {
            throw new SettingsException("coordinator", "needs --mqtt: the coordinator learns the fleet from the broker");
        }
    }

    private static void ApplyConfigFile(HostSettings settings, string path)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            throw new SettingsException("config", $"cannot read '{path}': {ex.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new SettingsException("config", $"'{path}' must hold a JSON object");
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                var setting = All.FirstOrDefault(s => string.Equals(s.ConfigKey, property.Name, StringComparison.OrdinalIgnoreCase))
                    ?? throw new SettingsException("config", $"'{path}' has an unknown key '{property.Name}'");
                var value = property.Value.ValueKind switch
                {
                    JsonValueKind.String => property.Value.GetString()!,
                    JsonValueKind.Number => property.Value.GetRawText(),
                    JsonValueKind.True => "true",
                    JsonValueKind.False => "false",
                    JsonValueKind.Array => string.Join(',', property.Value.EnumerateArray().Select(e => e.ToString())),
                    _ => throw new SettingsException(setting.Flag, $"in '{path}' has an unsupported value"),
                };
                setting.ApplyFrom(settings, value, $"{path}:{property.Name}");
            }
        }
    }

    private static string DefaultNodeId()
    {
        var name = System.Environment.MachineName;
        return string.IsNullOrWhiteSpace(name) ? "edge-node" : name.ToLowerInvariant();
    }

    private static long ParseLong(string value, long min, long max) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new FormatException($"'{value}' is not a whole number from {min} to {max}");

    private static double ParseDouble(string value, double min, double max) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new FormatException($"'{value}' is not a number from {min} to {max}");

    private static bool ParseBool(string value) => value.ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "on" => true,
        "false" or "0" or "no" or "off" => false,
        _ => throw new FormatException($"'{value}' is not true or false"),
    };

    private static ConflictStrategy ParseStrategy(string value) => value.ToLowerInvariant().Replace("-", "", StringComparison.Ordinal) switch
    {
        "remotewins" => ConflictStrategy.RemoteWins,
        "localwins" => ConflictStrategy.LocalWins,
        "latestwins" => ConflictStrategy.LatestWins,
        _ => throw new FormatException($"'{value}' is not remote-wins, local-wins or latest-wins"),
    };

    private static JournalDurability ParseDurability(string value) => value.ToLowerInvariant().Replace("-", "", StringComparison.Ordinal) switch
    {
        "groupcommit" => JournalDurability.GroupCommit,
        "perwrite" => JournalDurability.PerWrite,
        _ => throw new FormatException($"'{value}' is not group-commit or per-write"),
    };
}

/// <summary>One configurable setting.</summary>
public sealed record Setting(string Flag, string Env, string Help, Action<HostSettings, string> Apply, bool IsSwitch = false)
{
    /// <summary>The key in the JSON config file: the flag in camelCase (data-dir -> dataDir).</summary>
    public string ConfigKey { get; } = string.Concat(Flag.Split('-').Select((part, i) => i == 0 ? part : char.ToUpperInvariant(part[0]) + part[1..]));

    public void ApplyFrom(HostSettings settings, string value, string source)
    {
        try
        {
            Apply(settings, value);
        }
        catch (FormatException ex)
        {
            throw new SettingsException(Flag, $"from {source}: {ex.Message}");
        }
    }
}

/// <summary>Invalid configuration: stops start-up with one line naming the setting.</summary>
public sealed class SettingsException(string setting, string problem) : Exception($"invalid setting '{setting}': {problem}")
{
    public string Setting { get; } = setting;
}
