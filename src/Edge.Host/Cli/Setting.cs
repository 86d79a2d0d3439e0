using System.Globalization;

namespace Edge.Host.Cli;

/// <summary>How a setting's text becomes a configuration value.</summary>
public enum SettingKind
{
    Text,
    WholeNumber,
    Seconds,
    Switch,
    Choice,
    List,
}

/// <summary>
/// One setting, named once for every source: its flag (<c>--data-dir</c>), its environment variable
/// (<c>EDGE_DATA_DIR</c>), its key in the JSON config file (the flag in camelCase: <c>dataDir</c>) and its
/// configuration key (<c>Journal:DataDir</c>), which the binder maps onto the options of its section.
/// </summary>
public sealed record Setting(string Flag, string Env, string Key, SettingKind Kind, string Help, params string[] Choices)
{
    /// <summary>The key in the JSON config file: the flag in camelCase (data-dir -> dataDir).</summary>
    public string FileKey { get; } = string.Concat(Flag.Split('-').Select((part, i) => i == 0 ? part : char.ToUpperInvariant(part[0]) + part[1..]));

    /// <summary>
    /// The configuration entries for <paramref name="text"/>: spellings the binder does not read are made canonical
    /// (<c>yes</c> -> <c>true</c>, <c>remote-wins</c> -> <c>RemoteWins</c>, seconds -> a TimeSpan).
    /// </summary>
    /// <returns>Null when <paramref name="text"/> is not a value of this kind; <paramref name="problem"/> says why.</returns>
    public IEnumerable<KeyValuePair<string, string?>>? Entries(string text, out string? problem)
    {
        problem = null;
        switch (Kind)
        {
            case SettingKind.WholeNumber when !long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out _):
                problem = $"'{text}' is not a whole number";
                return null;
            case SettingKind.Seconds:
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !double.IsFinite(seconds) || Math.Abs(seconds) > 1e9)
                {
                    problem = $"'{text}' is not a number of seconds";
                    return null;
                }

                return [new(Key, TimeSpan.FromSeconds(seconds).ToString("c", CultureInfo.InvariantCulture))];
            case SettingKind.Switch:
                var on = text.Trim().ToLowerInvariant() switch
                {
                    "true" or "1" or "yes" or "on" => "true",
                    "false" or "0" or "no" or "off" => "false",
                    _ => null,
                };
                problem = on is null ? $"'{text}' is not true or false" : null;
                return on is null ? null : [new(Key, on)];
            case SettingKind.Choice:
                var choice = Array.Find(Choices, c => string.Equals(c, text.Trim(), StringComparison.OrdinalIgnoreCase));
                problem = choice is null ? $"'{text}' is not {string.Join(", ", Choices[..^1])} or {Choices[^1]}" : null;
                return choice is null ? null : [new(Key, choice.Replace("-", "", StringComparison.Ordinal))];
            case SettingKind.List:
                return [new(Key, string.Join(',', text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))];
        }

        return [new(Key, text)];
    }

    /// <summary>Every setting, in help order.</summary>
    public static IReadOnlyList<Setting> All { get; } =
    [
        new("urls", "EDGE_URLS", "Http:Urls", SettingKind.Text, "URL(s) to listen on, ';'-separated"),
        new("data-dir", "EDGE_DATA_DIR", "Journal:DataDir", SettingKind.Text, "directory for the durable state journal"),
        new("node-id", "EDGE_NODE_ID", "Node:Id", SettingKind.Text, "this node's id (default: host name)"),
        new("node-name", "EDGE_NODE_NAME", "Node:Name", SettingKind.Text, "display name (default: node id)"),
        new("location", "EDGE_LOCATION", "Node:Location", SettingKind.Text, "where the node is"),
        new("capabilities", "EDGE_CAPABILITIES", "Node:Capabilities", SettingKind.List, "comma-separated capabilities, e.g. gpu,camera"),
        new("token", "EDGE_TOKEN", "Http:Token", SettingKind.Text, "bearer token required on /v1 (required when binding beyond loopback)"),
        new("token-file", "EDGE_TOKEN_FILE", "Http:TokenFile", SettingKind.Text, "file holding the token, so it does not show in ps (not with --token)"),
        new("https-cert", "EDGE_HTTPS_CERT", "Http:CertFile", SettingKind.Text, "PEM certificate (chain) for the https:// URLs of --urls"),
        new("https-key", "EDGE_HTTPS_KEY", "Http:KeyFile", SettingKind.Text, "PEM private key of --https-cert"),
        new("max-body-bytes", "EDGE_MAX_BODY_BYTES", "Http:MaxBodyBytes", SettingKind.WholeNumber, "largest request body in bytes (default 1048576)"),
        new("max-json-depth", "EDGE_MAX_JSON_DEPTH", "Http:MaxJsonDepth", SettingKind.WholeNumber, "deepest JSON nesting accepted (default 64, at most 256)"),
        new("conflict-strategy", "EDGE_CONFLICT_STRATEGY", "Journal:ConflictStrategy", SettingKind.Choice, "remote-wins | local-wins | latest-wins",
            "remote-wins", "local-wins", "latest-wins"),
        new("max-pending", "EDGE_MAX_PENDING", "Journal:MaxPending", SettingKind.WholeNumber, "unconfirmed changes kept before the oldest are dropped (default 10000)"),
        new("durability", "EDGE_DURABILITY", "Journal:Durability", SettingKind.Choice, "group-commit | per-write (fsync batching of the journal)",
            "group-commit", "per-write"),
        new("mqtt", "EDGE_MQTT", "Mqtt:Broker", SettingKind.Text, "broker URI, e.g. mqtt://127.0.0.1:1883 (standalone when absent)"),
        new("mqtt-client-id", "EDGE_MQTT_CLIENT_ID", "Mqtt:ClientId", SettingKind.Text, "MQTT client id (default: node id)"),
        new("mqtt-username", "EDGE_MQTT_USERNAME", "Mqtt:Username", SettingKind.Text, "MQTT user name"),
        new("mqtt-password", "EDGE_MQTT_PASSWORD", "Mqtt:Password", SettingKind.Text, "MQTT password"),
        new("mqtt-password-file", "EDGE_MQTT_PASSWORD_FILE", "Mqtt:PasswordFile", SettingKind.Text, "file holding the MQTT password, so it does not show in ps"),
        new("mqtt-ca", "EDGE_MQTT_CA", "Mqtt:CaFile", SettingKind.Text, "PEM CA certificate(s) the broker's certificate must chain to (instead of the system store)"),
        new("mqtt-cert", "EDGE_MQTT_CERT", "Mqtt:CertFile", SettingKind.Text, "PEM client certificate for mutual TLS (with --mqtt-key)"),
        new("mqtt-key", "EDGE_MQTT_KEY", "Mqtt:KeyFile", SettingKind.Text, "PEM private key of --mqtt-cert"),
        new("mqtt-tls", "EDGE_MQTT_TLS", "Mqtt:Tls", SettingKind.Switch, "use TLS to the broker (default: on for mqtts://)"),
        new("mqtt-topic-prefix", "EDGE_MQTT_TOPIC_PREFIX", "Mqtt:TopicPrefix", SettingKind.Text, "topic prefix (default edge/v1)"),
        new("heartbeat-seconds", "EDGE_HEARTBEAT_SECONDS", "Mqtt:HeartbeatInterval", SettingKind.Seconds, "MQTT heartbeat interval (default 5)"),
        new("offline-after-seconds", "EDGE_OFFLINE_AFTER_SECONDS", "Mqtt:OfflineTimeout", SettingKind.Seconds, "coordinator: heartbeat age that marks a node Offline (default 15)"),
        new("coordinator", "EDGE_COORDINATOR", "Coordinator:Enabled", SettingKind.Switch, "build the cluster from the fleet's heartbeats"),
        new("broker", "EDGE_BROKER", "Broker:Mode", SettingKind.Choice, "external | embedded (run an MQTT broker in this process)", "external", "embedded"),
        new("broker-listen", "EDGE_BROKER_LISTEN", "Broker:Listen", SettingKind.Text, "embedded broker's HOST:PORT (default 127.0.0.1:1883)"),
        new("broker-credentials", "EDGE_BROKER_CREDENTIALS", "Broker:CredentialsFile", SettingKind.Text, "embedded broker's username/password file (beyond loopback: this or --broker-client-ca)"),
        new("broker-cert", "EDGE_BROKER_CERT", "Broker:CertFile", SettingKind.Text, "PEM certificate of the embedded broker: it then speaks MQTT over TLS only (with --broker-key)"),
        new("broker-key", "EDGE_BROKER_KEY", "Broker:KeyFile", SettingKind.Text, "PEM private key of --broker-cert"),
        new("broker-client-ca", "EDGE_BROKER_CLIENT_CA", "Broker:ClientCaFile", SettingKind.Text, "PEM CA: the embedded broker admits only clients whose certificate chains to it (mutual TLS)"),
    ];

    /// <summary>The setting whose configuration key is <paramref name="key"/>, if any.</summary>
    public static Setting? ForKey(string key) => All.FirstOrDefault(s => key.Equals(s.Key, StringComparison.OrdinalIgnoreCase));
}
