using System.Text.RegularExpressions;
using Edge.Host.Broker;
using Edge.Host.Cli;
using Edge.Host.Mqtt;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Edge.Host.Options;

/// <summary>
/// Builds the node's configuration from, in increasing precedence, the JSON config file, the <c>EDGE_*</c> environment
/// variables and the parsed command line (each mapped explicitly onto the keys of <see cref="Setting.All"/>), binds one
/// options object per section with the configuration binder's source generator and validates them once.
/// </summary>
public static partial class SettingsLoader
{
    /// <summary>Loads and validates the settings of <c>edge-host</c>.</summary>
    /// <param name="flags">Parsed flags by name without dashes (<c>data-dir</c>), plus <c>config</c> for the file.</param>
    /// <param name="environment">Reads an environment variable.</param>
    /// <exception cref="SettingsException">A value is invalid; the message is one line naming the setting and the rule.</exception>
    public static HostSettings Load(IReadOnlyDictionary<string, string> flags, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(flags);
        ArgumentNullException.ThrowIfNull(environment);
        var configFile = flags.GetValueOrDefault("config") ?? environment("EDGE_CONFIG");
        var file = configFile is null ? [] : SectionValues(ReadFile(configFile), $"'{configFile}'").Select(v => (v.Setting, v.Value, $"{configFile}:{v.Setting.FileKey}"));
        var env = Setting.All.Select(s => (Setting: s, Value: environment(s.Env), Source: s.Env)).Where(e => e.Value is not null);
        var given = flags.Where(f => f.Key != "config").Select(f => (Setting.All.First(s => s.Flag == f.Key), f.Value, "--" + f.Key));
        return Build([file, env!, given], configFile);
    }

    /// <summary>
    /// Loads and validates the settings of a node embedded in an application, from a configuration section (e.g.
    /// <c>builder.Configuration.GetSection("Edge")</c>) whose keys are those of edge-host's JSON config file
    /// (<c>nodeId</c>, <c>dataDir</c>, <c>mqtt</c>, …; any other key is refused).
    /// </summary>
    /// <exception cref="SettingsException">A key is unknown or a value is invalid; the message names it and the rule.</exception>
    public static HostSettings Load(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        var name = section is IConfigurationSection named ? named.Path : "configuration";
        return Build([SectionValues(section, $"section '{name}'").Select(v => (v.Setting, v.Value, $"{name}:{v.Setting.FileKey}"))], null);
    }

    /// <summary>Binds the layers (later ones win), then validates every section once.</summary>
    private static HostSettings Build(IEnumerable<(Setting Setting, string Value, string Source)>[] layers, string? configFile)
    {
        var origins = new Dictionary<string, (Setting Setting, string Source)>(StringComparer.OrdinalIgnoreCase);
        var builder = new ConfigurationBuilder();
        foreach (var layer in layers)
        {
            builder.AddInMemoryCollection(Entries(layer, origins));
        }

        var configuration = builder.Build();

        var (node, http, journal, coordinator, broker) = (new NodeOptions(), new HttpOptions(), new JournalOptions(), new CoordinatorOptions(), new BrokerOptions());
        Bind(configuration, origins, () =>
        {
            configuration.GetSection("Node").Bind(node);
            configuration.GetSection("Http").Bind(http);
            configuration.GetSection("Journal").Bind(journal);
            configuration.GetSection("Coordinator").Bind(coordinator);
            configuration.GetSection("Broker").Bind(broker);
        });
        http.Token = SecretFromFile(http.TokenFile, http.Token, "Http:TokenFile", "Http:Token", origins);
        var brokerUsers = ReadBrokerCredentials(broker);

        MqttOptions? mqtt = null;
        var embedded = broker.Mode == BrokerMode.Embedded;
        if (configuration["Mqtt:Broker"] is not null || embedded)
        {
            mqtt = new MqttOptions { MaxJsonDepth = http.MaxJsonDepth };
            Bind(configuration, origins, () => configuration.GetSection("Mqtt").Bind(mqtt));
            mqtt.Password = SecretFromFile(mqtt.PasswordFile, mqtt.Password, "Mqtt:PasswordFile", "Mqtt:Password", origins);
            if (embedded && configuration["Mqtt:Broker"] is null)
            {
                UseEmbeddedBroker(mqtt, broker, brokerUsers);
            }

            // A silently dead link is noticed after ~1.5 keep-alives: two heartbeats keeps the last will prompt.
            mqtt.KeepAlive = TimeSpan.FromSeconds(Math.Ceiling(Math.Max(2, mqtt.HeartbeatInterval.TotalSeconds * 2)));
        }

        var settings = new HostSettings
        {
            Node = node,
            Http = http,
            Journal = journal,
            Mqtt = mqtt,
            Coordinator = coordinator,
            Broker = broker,
            BrokerUsers = brokerUsers,
            ConfigFile = configFile,
        };

        var failures = new[]
        {
            ("Node", new NodeOptionsValidator().Validate(null, node)),
            ("Http", new HttpOptionsValidator().Validate(null, http)),
            ("Journal", new JournalOptionsValidator().Validate(null, journal)),
            ("Mqtt", mqtt is null ? ValidateOptionsResult.Skip : new MqttOptionsValidator().Validate(null, mqtt)),
            ("Broker", new BrokerOptionsValidator().Validate(null, broker)),
            ("", new HostSettingsValidator().Validate(null, settings)),
        };
        foreach (var (section, result) in failures)
        {
            if (result.Failures?.FirstOrDefault() is { } failure)
            {
                throw Refusal(section, failure, origins);
            }
        }

        if (embedded && configuration["Mqtt:Broker"] is null)
        {
            CheckOwnBrokerConnection(mqtt!, broker);
        }

        CheckCertificateFiles(mqtt, broker);
        return settings;
    }

    private static IEnumerable<KeyValuePair<string, string?>> Entries(
        IEnumerable<(Setting Setting, string Value, string Source)> values, Dictionary<string, (Setting, string)> origins)
    {
        var entries = new List<KeyValuePair<string, string?>>();
        foreach (var (setting, value, source) in values)
        {
            entries.AddRange(setting.Entries(value, out var problem) ?? throw new SettingsException(setting.Flag, $"from {source}: {problem}"));
            origins[setting.Key] = (setting, source);
        }

        return entries;
    }

    private static IConfiguration ReadFile(string path)
    {
        try
        {
            return new ConfigurationBuilder().AddJsonStream(new MemoryStream(File.ReadAllBytes(path))).Build();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or System.Text.Json.JsonException)
        {
            throw new SettingsException("config", $"cannot read '{path}': {(ex.InnerException ?? ex).Message}");
        }
    }

    /// <summary>A config file's (or section's) values by setting; its keys are the flags in camelCase and any other key is refused.</summary>
    private static List<(Setting Setting, string Value)> SectionValues(IConfiguration section, string where)
    {
        var values = new List<(Setting, string)>();
        foreach (var entry in section.GetChildren())
        {
            var setting = Setting.All.FirstOrDefault(s => string.Equals(s.FileKey, entry.Key, StringComparison.OrdinalIgnoreCase))
                ?? throw (section is IConfigurationRoot
                    ? new SettingsException("config", $"{where} has an unknown key '{entry.Key}'")
                    : new SettingsException(entry.Path, $"is not a setting: the keys of {where} are those of edge-host's config file (nodeId, dataDir, mqtt, …)"));
            var items = entry.GetChildren().ToList();
            if (items.Count > 0 && (setting.Kind != SettingKind.List || items.Any(i => i.Value is null)))
            {
                throw new SettingsException(setting.Flag, $"in {where} has an unsupported value: an object or array where a single value belongs");
            }

            values.Add((setting, items.Count > 0 ? string.Join(',', items.Select(i => i.Value)) : entry.Value ?? ""));
        }

        return values;
    }

    private static void Bind(IConfiguration configuration, Dictionary<string, (Setting Setting, string Source)> origins, Action bind)
    {
        try
        {
            bind();
        }
        catch (InvalidOperationException ex)
        {
            // The binder names the key it could not convert (e.g. a whole number too large for its type).
            var key = BinderPath().Match(ex.Message) is { Success: true } m ? m.Groups[1].Value : "";
            var (setting, source) = origins.TryGetValue(key, out var origin) ? origin : (Setting.ForKey(key), "configuration");
            throw new SettingsException(setting?.Flag ?? key, $"from {source}: '{configuration[key]}' is out of range");
        }
    }

    /// <summary>
    /// A secret given as a file (<c>--token-file</c>, <c>--mqtt-password-file</c>) so it does not show in <c>ps</c>: read
    /// once in place of the value, and refused beside the value itself.
    /// </summary>
    /// <returns>The secret: the file's, or <paramref name="given"/> when no file is named.</returns>
    private static string? SecretFromFile(string? path, string? given, string fileKey, string valueKey, Dictionary<string, (Setting Setting, string Source)> origins)
    {
        if (path is null)
        {
            return given;
        }

        var file = Setting.All.First(s => s.Key == fileKey);
        if (given is not null)
        {
            var value = Setting.All.First(s => s.Key == valueKey);
            throw new SettingsException(file.Flag, $"cannot be combined with --{value.Flag} / {value.Env}: give it one way");
        }

        origins[valueKey] = (file, $"'{path}'");
        return ReadSecret(file.Flag, path);
    }

    /// <summary>A secret kept in a file: its text without the trailing newline editors and <c>echo</c> add.</summary>
    private static string ReadSecret(string flag, string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new SettingsException(flag, $"cannot read '{path}': {ex.Message}");
        }

        var secret = text.TrimEnd('\r', '\n');
        return secret.Length > 0 ? secret : throw new SettingsException(flag, $"'{path}' is empty");
    }

    /// <summary>
    /// Loads the MQTT certificate files once at start, so a bad one stops start-up (exit 2) instead of failing every
    /// connect. (The HTTPS certificate is loaded where it is used, by <c>serve</c>, which refuses a bad one the same way.)
    /// </summary>
    private static void CheckCertificateFiles(MqttOptions? mqtt, BrokerOptions broker)
    {
        static void Try(string flag, Action load)
        {
            try
            {
                load();
            }
            catch (Tls.PemFileException e)
            {
                throw new SettingsException(flag, e.Message);
            }
        }

        if (mqtt?.CaFile is { } ca)
        {
            Try("mqtt-ca", () => Tls.PemFiles.LoadCertificates(ca));
        }

        if (mqtt?.CertFile is { } cert && mqtt.KeyFile is { } key)
        {
            Try("mqtt-cert", () => Tls.PemFiles.LoadCertificate(cert, key).Dispose());
        }

        if (broker.Mode == BrokerMode.Embedded && broker.CertFile is { } brokerCert && broker.KeyFile is { } brokerKey)
        {
            Try("broker-cert", () => Tls.PemFiles.LoadCertificate(brokerCert, brokerKey).Dispose());
        }

        if (broker.Mode == BrokerMode.Embedded && broker.ClientCaFile is { } clientCa)
        {
            Try("broker-client-ca", () => Tls.PemFiles.LoadCertificates(clientCa));
        }
    }

    /// <summary>
    /// A node that runs the embedded broker without <c>--mqtt</c> connects to it as its first client, so it must pass
    /// the broker's own checks: trust its certificate, and present one when the broker requires client certificates.
    /// </summary>
    private static void CheckOwnBrokerConnection(MqttOptions mqtt, BrokerOptions broker)
    {
        if (broker.UsesTls && string.IsNullOrWhiteSpace(mqtt.CaFile))
        {
            throw new SettingsException("mqtt-ca",
                "is required with --broker-cert: this node connects to its own broker over TLS and checks the broker's certificate against this CA");
        }

        if (!string.IsNullOrWhiteSpace(broker.ClientCaFile) && string.IsNullOrWhiteSpace(mqtt.CertFile))
        {
            throw new SettingsException("mqtt-cert",
                "is required with --broker-client-ca: this node connects to its own broker, which admits only clients with a certificate (give --mqtt-cert and --mqtt-key)");
        }
    }

    private static BrokerCredentials? ReadBrokerCredentials(BrokerOptions broker)
    {
        if (broker.CredentialsFile is not { } path)
        {
            return null;
        }

        try
        {
            return BrokerCredentials.Parse(File.ReadAllText(path));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new SettingsException("broker-credentials", $"cannot read '{path}': {ex.Message}");
        }
        catch (FormatException ex)
        {
            throw new SettingsException("broker-credentials", $"'{path}': {ex.Message}");
        }
    }

    /// <summary>
    /// Without <c>--mqtt</c>, a node that runs the embedded broker is its first client: it connects over loopback (or to
    /// the one address the broker listens on), with TLS when the broker has a certificate, as the credentials file's
    /// first user, unless <c>--mqtt-username</c> says otherwise.
    /// </summary>
    private static void UseEmbeddedBroker(MqttOptions mqtt, BrokerOptions broker, BrokerCredentials? users)
    {
        if (broker.TryListenEndPoint() is not { } endPoint)
        {
            return; // refused by the broker's own validation below
        }

        var host = endPoint.Address.Equals(System.Net.IPAddress.Any) ? "127.0.0.1"
            : endPoint.Address.Equals(System.Net.IPAddress.IPv6Any) ? "[::1]"
            : endPoint.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{endPoint.Address}]" : endPoint.Address.ToString();
        mqtt.Broker = $"{(broker.UsesTls ? "mqtts" : "mqtt")}://{host}:{endPoint.Port}";
        if (mqtt.Username is null && users is not null)
        {
            mqtt.Username = users.FirstUser;
            mqtt.Password = users.FirstPassword;
        }
    }

    /// <summary>One generated-validator failure (<c>DisplayName: rule</c>) as the setting it names, with where its value came from.</summary>
    private static SettingsException Refusal(string section, string failure, Dictionary<string, (Setting Setting, string Source)> origins)
    {
        var colon = failure.IndexOf(": ", StringComparison.Ordinal);
        var member = colon < 0 ? "" : failure[..colon];
        var rule = colon < 0 ? failure : failure[(colon + 2)..];
        var key = section.Length == 0 ? member.Replace('.', ':') : $"{section}:{member}";
        if (origins.TryGetValue(key, out var origin))
        {
            return new SettingsException(origin.Setting.Flag, $"from {origin.Source}: {rule}");
        }

        return Setting.ForKey(key) is { } setting ? new SettingsException(setting.Flag, rule) : new SettingsException(member, rule);
    }

    [GeneratedRegex("at '([^']+)'")]
    private static partial Regex BinderPath();
}
