using Edge.Host.Mqtt;
using Edge.Host.Options;
using Edge.Runtime;

namespace Edge.Host.Tests.Cli;

public class SettingsTests
{
    private static HostSettings Load(Dictionary<string, string>? flags = null, Dictionary<string, string>? env = null) =>
        SettingsLoader.Load(flags ?? [], name => env?.GetValueOrDefault(name));

    private static async Task<SettingsException> Refused(Dictionary<string, string>? flags = null, Dictionary<string, string>? env = null)
    {
        var error = await Assert.That(() => Load(flags, env)).Throws<SettingsException>();
        await Assert.That(error!.Message).DoesNotContain("\n");
        return error;
    }

    [Test]
    public async Task Defaults_need_nothing_else()
    {
        var s = Load();
        await Assert.That(s.Http.Urls).IsEqualTo("http://127.0.0.1:8080");
        await Assert.That(s.Journal.DataDir).IsEqualTo("./edge-data");
        await Assert.That(s.Node.Id).IsEqualTo(Environment.MachineName.ToLowerInvariant());
        await Assert.That(s.Http.MaxBodyBytes).IsEqualTo(1024 * 1024);
        await Assert.That(s.Http.MaxJsonDepth).IsEqualTo(JsonLimits.DefaultDepth);
        await Assert.That(s.Http.Token).IsNull();
        await Assert.That(s.Http.IsLoopbackOnly()).IsTrue();
        await Assert.That(s.Journal.MaxPending).IsEqualTo(10_000);
        await Assert.That(s.Journal.ConflictStrategy).IsEqualTo(ConflictStrategy.RemoteWins);
        await Assert.That(s.Journal.Durability).IsEqualTo(JournalDurability.GroupCommit);
        await Assert.That(s.Mqtt).IsNull();
        await Assert.That(s.Coordinator.Enabled).IsFalse();
        await Assert.That(s.Broker.Mode).IsEqualTo(BrokerMode.External);
        await Assert.That(s.Broker.Listen).IsEqualTo("127.0.0.1:1883");
    }

    [Test]
    public async Task Flags_beat_environment_which_beats_the_config_file()
    {
        var file = Path.GetTempFileName();
        await File.WriteAllTextAsync(file, """
            // comments and trailing commas are fine
            { "nodeId": "from-file", "dataDir": "/tmp/file-dir", "location": "file", "maxPending": 7, "capabilities": ["gpu", "camera"], "coordinator": true, "mqtt": "mqtt://file:1883", }
            """);
        try
        {
            var s = Load(
                new() { ["config"] = file, ["node-id"] = "from-flag", ["coordinator"] = "false" },
                new() { ["EDGE_NODE_ID"] = "from-env", ["EDGE_DATA_DIR"] = "/tmp/env-dir", ["EDGE_COORDINATOR"] = "yes" });
            await Assert.That(s.Node.Id).IsEqualTo("from-flag");
            await Assert.That(s.Journal.DataDir).IsEqualTo("/tmp/env-dir");
            await Assert.That(s.Node.Location).IsEqualTo("file");
            await Assert.That(s.Journal.MaxPending).IsEqualTo(7);
            await Assert.That(s.Node.CapabilityList).IsEquivalentTo(["gpu", "camera"], TUnit.Assertions.Enums.CollectionOrdering.Matching);
            await Assert.That(s.Coordinator.Enabled).IsFalse();
            await Assert.That(s.Mqtt!.Broker).IsEqualTo("mqtt://file:1883");
            await Assert.That(s.ConfigFile).IsEqualTo(file);

            // A list given later replaces the file's list as a whole.
            var caps = Load(new() { ["config"] = file, ["capabilities"] = "lidar" });
            await Assert.That(caps.Node.CapabilityList).IsEquivalentTo(["lidar"], TUnit.Assertions.Enums.CollectionOrdering.Matching);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    [Arguments("max-body-bytes", "lots")]
    [Arguments("max-body-bytes", "0")]
    [Arguments("max-json-depth", "257")]
    [Arguments("max-json-depth", "99999999999")]
    [Arguments("max-pending", "0")]
    [Arguments("conflict-strategy", "coin-flip")]
    [Arguments("durability", "sometimes")]
    [Arguments("urls", "ftp://127.0.0.1:21")]
    [Arguments("urls", ";")]
    [Arguments("data-dir", " ")]
    [Arguments("node-id", "a/b")]
    [Arguments("node-id", "")]
    [Arguments("mqtt", "http://broker")]
    [Arguments("mqtt", "mqtt://user:pw@broker:1883")]
    [Arguments("token", "short")]
    [Arguments("token", "   ")]
    [Arguments("coordinator", "true")]
    [Arguments("coordinator", "maybe")]
    [Arguments("mqtt-tls", "maybe")]
    [Arguments("heartbeat-seconds", "soon")]
    [Arguments("broker", "internal")]
    [Arguments("broker-listen", "127.0.0.1")]
    [Arguments("broker-listen", "127.0.0.1:70000")]
    public async Task Invalid_values_name_the_setting(string flag, string value)
    {
        var error = await Refused(new() { [flag] = value });
        await Assert.That(error.Setting).IsEqualTo(flag);
        await Assert.That(error.Message).StartsWith($"invalid setting '{flag}': from --{flag}: ");
    }

    [Test]
    public async Task A_node_id_is_the_mqtt_topic_level_rule_everywhere()
    {
        var longest = new string('n', Node.NodeIds.MaxLength);
        await Assert.That(Load(new() { ["node-id"] = longest, ["mqtt"] = "mqtt://127.0.0.1:1883" }).Node.Id).IsEqualTo(longest);
        var error = await Refused(new() { ["node-id"] = longest + "n", ["mqtt"] = "mqtt://127.0.0.1:1883" });
        await Assert.That(error.Setting).IsEqualTo("node-id");
        await Assert.That(error.Message).Contains("at most 128 characters");
        await Assert.That(Node.NodeIds.Validate(longest + "n")).IsNotNull();
        await Assert.That(MqttTopics.ValidateNodeId(longest + "n")).IsNotNull();
    }

    [Test]
    [Arguments("mqtt://b")]
    [Arguments("mqtts://b")]
    [Arguments("tcp://b:1883")]
    [Arguments("ssl://b:8883")]
    public async Task Every_broker_scheme_the_mqtt_client_takes_the_cli_takes(string uri)
    {
        var s = Load(new() { ["mqtt"] = uri });
        await Assert.That(s.Mqtt!.Validate()).IsNull();
        await Assert.That(MqttOptions.ValidateBroker(uri)).IsNull();
    }

    [Test]
    public async Task Invalid_environment_value_names_the_variable_as_its_source()
    {
        var range = await Refused(env: new() { ["EDGE_MAX_PENDING"] = "-3" });
        await Assert.That(range.Message).IsEqualTo("invalid setting 'max-pending': from EDGE_MAX_PENDING: -3 is not a whole number from 1 to 10000000");
        var syntax = await Refused(env: new() { ["EDGE_MAX_BODY_BYTES"] = "lots" });
        await Assert.That(syntax.Message).IsEqualTo("invalid setting 'max-body-bytes': from EDGE_MAX_BODY_BYTES: 'lots' is not a whole number");
    }

    [Test]
    public async Task Binding_beyond_loopback_requires_a_token()
    {
        var error = await Refused(new() { ["urls"] = "http://0.0.0.0:8080" });
        await Assert.That(error.Setting).IsEqualTo("token");

        var withToken = Load(new() { ["urls"] = "http://0.0.0.0:8080", ["token"] = "a-long-enough-token" });
        await Assert.That(withToken.Http.IsLoopbackOnly()).IsFalse();
        await Assert.That(Load(new() { ["urls"] = "http://[::1]:9000;http://localhost:9001" }).Http.IsLoopbackOnly()).IsTrue();
        await Assert.That((await Refused(new() { ["urls"] = "http://*:8080" })).Setting).IsEqualTo("token");
    }

    [Test]
    public async Task The_token_can_come_from_a_file_but_not_from_both()
    {
        var dir = Directory.CreateTempSubdirectory("edge-token-").FullName;
        try
        {
            var file = Path.Combine(dir, "token");
            await File.WriteAllTextAsync(file, "a-long-enough-file-token\n");
            var s = Load(new() { ["urls"] = "http://0.0.0.0:8080", ["token-file"] = file });
            await Assert.That(s.Http.Token).IsEqualTo("a-long-enough-file-token");

            var both = await Refused(new() { ["token-file"] = file }, new() { ["EDGE_TOKEN"] = "another-long-token" });
            await Assert.That(both.Setting).IsEqualTo("token-file");
            await Assert.That(both.Message).Contains("cannot be combined with --token / EDGE_TOKEN");

            var missing = await Refused(new() { ["token-file"] = Path.Combine(dir, "absent") });
            await Assert.That(missing.Setting).IsEqualTo("token-file");
            await Assert.That(missing.Message).Contains("cannot read");

            await File.WriteAllTextAsync(file, "\n");
            await Assert.That((await Refused(new() { ["token-file"] = file })).Message).Contains("is empty");

            await File.WriteAllTextAsync(file, "short");
            var weak = await Refused(new() { ["token-file"] = file });
            await Assert.That(weak.Setting).IsEqualTo("token-file");
            await Assert.That(weak.Message).Contains("at least 16 characters");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task Config_file_with_unknown_key_bad_value_or_bad_json_is_refused()
    {
        var file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, """{ "nodeld": "typo" }""");
            var unknown = await Refused(new() { ["config"] = file });
            await Assert.That(unknown.Setting).IsEqualTo("config");
            await Assert.That(unknown.Message).Contains("nodeld");

            await File.WriteAllTextAsync(file, """{ "maxPending": 0 }""");
            var range = await Refused(new() { ["config"] = file });
            await Assert.That(range.Message).IsEqualTo($"invalid setting 'max-pending': from {file}:maxPending: 0 is not a whole number from 1 to 10000000");

            await File.WriteAllTextAsync(file, """{ "urls": { "nested": 1 } }""");
            await Assert.That((await Refused(new() { ["config"] = file })).Setting).IsEqualTo("urls");

            await File.WriteAllTextAsync(file, "{ not json");
            await Assert.That((await Refused(new() { ["config"] = file })).Setting).IsEqualTo("config");

            await Assert.That((await Refused(env: new() { ["EDGE_CONFIG"] = file + ".absent" })).Setting).IsEqualTo("config");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public async Task Choices_and_switches_accept_their_spellings()
    {
        var s = Load(new() { ["conflict-strategy"] = "latest-wins", ["durability"] = "per-write", ["mqtt"] = "mqtts://b", ["mqtt-tls"] = "off", ["broker"] = "Embedded" });
        await Assert.That(s.Journal.ConflictStrategy).IsEqualTo(ConflictStrategy.LatestWins);
        await Assert.That(s.Journal.Durability).IsEqualTo(JournalDurability.PerWrite);
        await Assert.That(s.Mqtt!.Tls).IsNotNull();
        await Assert.That(s.Mqtt.Tls!.Value).IsFalse();
        await Assert.That(s.Mqtt.UseTls).IsFalse();
        await Assert.That(s.Broker.Mode).IsEqualTo(BrokerMode.Embedded);
    }

    [Test]
    public async Task Mqtt_options_bind_from_their_settings()
    {
        var s = Load(new()
        {
            ["mqtt"] = "mqtts://b:9000", ["mqtt-client-id"] = "c1", ["mqtt-username"] = "u", ["mqtt-password"] = "p",
            ["mqtt-topic-prefix"] = "acme/edge", ["heartbeat-seconds"] = "0.25", ["offline-after-seconds"] = "120",
            ["max-json-depth"] = "16", ["coordinator"] = "true",
        });
        var mqtt = s.Mqtt!;
        await Assert.That(mqtt.Host).IsEqualTo("b");
        await Assert.That(mqtt.Port).IsEqualTo(9000);
        await Assert.That(mqtt.UseTls).IsTrue();
        await Assert.That(mqtt.ClientIdFor("n1")).IsEqualTo("c1");
        await Assert.That((mqtt.Username, mqtt.Password)).IsEqualTo(("u", "p"));
        await Assert.That(mqtt.TopicPrefix).IsEqualTo("acme/edge");
        await Assert.That(mqtt.HeartbeatInterval).IsEqualTo(TimeSpan.FromMilliseconds(250));
        await Assert.That(mqtt.KeepAlive).IsEqualTo(TimeSpan.FromSeconds(2));
        await Assert.That(mqtt.OfflineTimeout).IsEqualTo(TimeSpan.FromMinutes(2));
        await Assert.That(mqtt.MaxJsonDepth).IsEqualTo(16);
        await Assert.That(s.Coordinator.Enabled).IsTrue();
        await Assert.That(Load(new() { ["mqtt"] = "mqtt://b", ["heartbeat-seconds"] = "30", ["offline-after-seconds"] = "90" }).Mqtt!.KeepAlive).IsEqualTo(TimeSpan.FromSeconds(60));
    }

    [Test]
    public async Task Mqtt_rules_name_their_setting()
    {
        async Task Named(string flag, Dictionary<string, string> flags)
        {
            var error = await Refused(new(flags) { ["mqtt"] = flags.GetValueOrDefault("mqtt", "mqtt://b") });
            await Assert.That(error.Setting).IsEqualTo(flag);
        }

        await Named("mqtt-topic-prefix", new() { ["mqtt-topic-prefix"] = "edge/#" });
        await Named("mqtt-client-id", new() { ["mqtt-client-id"] = "a/b" });
        await Named("mqtt-password", new() { ["mqtt-password"] = "secret" });
        await Named("heartbeat-seconds", new() { ["heartbeat-seconds"] = "0" });
        await Named("offline-after-seconds", new() { ["offline-after-seconds"] = "3" });
    }

    [Test]
    public async Task An_embedded_broker_beyond_loopback_needs_credentials()
    {
        await Assert.That(Load(new() { ["broker"] = "embedded" }).Broker.ListenEndPoint().Port).IsEqualTo(1883);
        await Assert.That(Load(new() { ["broker"] = "embedded", ["broker-listen"] = "localhost:1884" }).Broker.ListenEndPoint().Port).IsEqualTo(1884);
        var error = await Refused(new() { ["broker"] = "embedded", ["broker-listen"] = "0.0.0.0:1883" });
        await Assert.That(error.Setting).IsEqualTo("broker-credentials");
        var file = CredentialsFile("# fleet users\nnode-a:s3cret:with:colons\r\nnode-b:other\n");
        var ok = Load(new() { ["broker"] = "embedded", ["broker-listen"] = "0.0.0.0:1883", ["broker-credentials"] = file });
        await Assert.That(ok.Broker.CredentialsFile).IsEqualTo(file);
        await Assert.That(ok.BrokerUsers!.Count).IsEqualTo(2);
        await Assert.That(Load(new() { ["broker-listen"] = "0.0.0.0:1883" }).Broker.Mode).IsEqualTo(BrokerMode.External);
    }

    [Test]
    public async Task A_node_running_the_embedded_broker_is_its_first_client()
    {
        var loopback = Load(new() { ["broker"] = "embedded", ["broker-listen"] = "127.0.0.1:18830" });
        await Assert.That(loopback.Mqtt!.Broker).IsEqualTo("mqtt://127.0.0.1:18830");
        await Assert.That(loopback.Mqtt.Username).IsNull();

        var file = CredentialsFile("node-a:s3cret:with:colons\nnode-b:other\n");
        var wide = Load(new() { ["broker"] = "embedded", ["broker-listen"] = "0.0.0.0:1883", ["broker-credentials"] = file });
        await Assert.That(wide.Mqtt!.Broker).IsEqualTo("mqtt://127.0.0.1:1883");
        await Assert.That(wide.Mqtt.Username).IsEqualTo("node-a");
        await Assert.That(wide.Mqtt.Password).IsEqualTo("s3cret:with:colons");

        var v6 = Load(new() { ["broker"] = "embedded", ["broker-listen"] = "[::1]:1883" });
        await Assert.That(v6.Mqtt!.Broker).IsEqualTo("mqtt://[::1]:1883");

        var named = Load(new() { ["broker"] = "embedded", ["broker-credentials"] = file, ["mqtt-username"] = "node-b", ["mqtt-password"] = "other" });
        await Assert.That(named.Mqtt!.Username).IsEqualTo("node-b");

        var external = Load(new() { ["broker"] = "embedded", ["mqtt"] = "mqtt://10.0.0.5:1883" });
        await Assert.That(external.Mqtt!.Broker).IsEqualTo("mqtt://10.0.0.5:1883");
    }

    [Test]
    public async Task A_bad_credentials_file_is_refused_naming_the_line()
    {
        var missing = await Refused(new() { ["broker"] = "embedded", ["broker-credentials"] = "/nonexistent/broker.creds" });
        await Assert.That(missing.Setting).IsEqualTo("broker-credentials");
        await Assert.That(missing.Message).Contains("cannot read '/nonexistent/broker.creds'");

        foreach (var (text, says) in new[]
        {
            ("node-a:one\nno-colon\n", "line 2 is not username:password"),
            (":nouser\n", "line 1 is not username:password"),
            ("user:\n", "line 1 is not username:password"),
            ("a:1\n# c\na:2\n", "line 3 names user 'a' a second time"),
            ("# only a comment\n\n", "names no user"),
        })
        {
            var error = await Refused(new() { ["broker"] = "embedded", ["broker-credentials"] = CredentialsFile(text) });
            await Assert.That(error.Setting).IsEqualTo("broker-credentials");
            await Assert.That(error.Message).Contains(says);
        }
    }

    [Test]
    public async Task Mqtt_certificates_need_tls_and_each_other_and_must_load()
    {
        using var pki = await Edge.Host.Tests.Tls.TestPki.CreateAsync();
        var (cert, key) = await pki.IssueAsync("n1", server: false);
        var (_, otherKey) = await pki.IssueAsync("n2", server: false);

        var ok = Load(new() { ["mqtt"] = "mqtts://broker:8883", ["mqtt-ca"] = pki.CaFile, ["mqtt-cert"] = cert, ["mqtt-key"] = key });
        await Assert.That(ok.Mqtt!.CaFile).IsEqualTo(pki.CaFile);
        await Assert.That(ok.Mqtt.CertFile).IsEqualTo(cert);

        foreach (var (flags, setting, says) in new (Dictionary<string, string> Flags, string Setting, string Says)[]
        {
            (new() { ["mqtt"] = "mqtt://broker", ["mqtt-ca"] = pki.CaFile }, "mqtt-ca", "TLS is off"),
            (new() { ["mqtt"] = "mqtt://broker", ["mqtt-cert"] = cert, ["mqtt-key"] = key }, "mqtt-cert", "TLS is off"),
            (new() { ["mqtt"] = "mqtts://broker", ["mqtt-cert"] = cert }, "mqtt-key", "needs both --mqtt-cert and --mqtt-key"),
            (new() { ["mqtt"] = "mqtts://broker", ["mqtt-key"] = key }, "mqtt-cert", "needs both --mqtt-cert and --mqtt-key"),
            (new() { ["mqtt"] = "mqtts://broker", ["mqtt-cert"] = cert, ["mqtt-key"] = otherKey }, "mqtt-cert", $"cannot load the certificate '{cert}' with the key '{otherKey}'"),
            (new() { ["mqtt"] = "mqtts://broker", ["mqtt-ca"] = key }, "mqtt-ca", "holds no PEM certificate"),
            (new() { ["mqtt"] = "mqtts://broker", ["mqtt-ca"] = "/nonexistent/ca.pem" }, "mqtt-ca", "cannot load the certificates of '/nonexistent/ca.pem'"),
        })
        {
            var error = await Refused(flags);
            await Assert.That(error.Setting).IsEqualTo(setting);
            await Assert.That(error.Message).Contains(says);
        }
    }

    [Test]
    public async Task The_embedded_broker_takes_a_certificate_and_a_client_CA_and_its_own_node_must_pass_them()
    {
        using var pki = await Edge.Host.Tests.Tls.TestPki.CreateAsync();
        var (serverCert, serverKey) = await pki.IssueAsync("broker", server: true);
        var (cert, key) = await pki.IssueAsync("coordinator", server: false);
        var tls = new Dictionary<string, string> { ["broker"] = "embedded", ["broker-cert"] = serverCert, ["broker-key"] = serverKey };

        // Its own node dials mqtts:// and checks the broker with --mqtt-ca; with a client CA it presents --mqtt-cert.
        var ok = Load(new(tls) { ["mqtt-ca"] = pki.CaFile });
        await Assert.That(ok.Mqtt!.Broker).IsEqualTo("mqtts://127.0.0.1:1883");
        await Assert.That(ok.Mqtt.UseTls).IsTrue();
        // Beyond loopback, client certificates stand in for a password file.
        var mutual = Load(new(tls)
        {
            ["broker-listen"] = "0.0.0.0:8883", ["broker-client-ca"] = pki.CaFile, ["mqtt-ca"] = pki.CaFile, ["mqtt-cert"] = cert, ["mqtt-key"] = key,
        });
        await Assert.That(mutual.Broker.ClientCaFile).IsEqualTo(pki.CaFile);
        await Assert.That(mutual.Mqtt!.Broker).IsEqualTo("mqtts://127.0.0.1:8883");

        foreach (var (flags, setting, says) in new (Dictionary<string, string> Flags, string Setting, string Says)[]
        {
            (new() { ["broker"] = "embedded", ["broker-cert"] = serverCert, ["mqtt-ca"] = pki.CaFile }, "broker-key", "needs both --broker-cert and --broker-key"),
            (new() { ["broker"] = "embedded", ["broker-client-ca"] = pki.CaFile }, "broker-client-ca", "needs a TLS listener"),
            (new(tls), "mqtt-ca", "is required with --broker-cert"),
            (new(tls) { ["mqtt-ca"] = pki.CaFile, ["broker-client-ca"] = pki.CaFile }, "mqtt-cert", "is required with --broker-client-ca"),
            (new(tls) { ["mqtt-ca"] = pki.CaFile, ["broker-key"] = key }, "broker-cert", $"cannot load the certificate '{serverCert}' with the key '{key}'"),
            (new(tls) { ["mqtt-ca"] = pki.CaFile, ["mqtt-cert"] = cert, ["mqtt-key"] = key, ["broker-client-ca"] = key }, "broker-client-ca", "holds no PEM certificate"),
            (new(tls) { ["mqtt-ca"] = pki.CaFile, ["broker-listen"] = "0.0.0.0:8883" }, "broker-credentials", "unless clients must present certificates"),
        })
        {
            var error = await Refused(flags);
            await Assert.That(error.Setting).IsEqualTo(setting);
            await Assert.That(error.Message).Contains(says);
        }

        // An explicit --mqtt is the user's choice of URI (e.g. the LAN name the certificate is issued for): left alone.
        var named = Load(new(tls) { ["mqtt"] = "mqtts://gateway.lan:1883" });
        await Assert.That(named.Mqtt!.Broker).IsEqualTo("mqtts://gateway.lan:1883");
    }

    [Test]
    public async Task The_mqtt_password_can_come_from_a_file_but_not_twice()
    {
        var file = CredentialsFile("s3cret\n");
        var s = Load(new() { ["mqtt"] = "mqtt://broker", ["mqtt-username"] = "node", ["mqtt-password-file"] = file });
        await Assert.That(s.Mqtt!.Password).IsEqualTo("s3cret");

        var both = await Refused(new() { ["mqtt"] = "mqtt://broker", ["mqtt-username"] = "node", ["mqtt-password"] = "x", ["mqtt-password-file"] = file });
        await Assert.That(both.Setting).IsEqualTo("mqtt-password-file");
        var empty = await Refused(new() { ["mqtt"] = "mqtt://broker", ["mqtt-username"] = "node", ["mqtt-password-file"] = CredentialsFile("\n") });
        await Assert.That(empty.Message).Contains("is empty");
        var noUser = await Refused(new() { ["mqtt"] = "mqtt://broker", ["mqtt-password-file"] = file });
        await Assert.That(noUser.Setting).IsEqualTo("mqtt-password-file");
        await Assert.That(noUser.Message).Contains("without a username");
    }

    private static string CredentialsFile(string text)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("edge-creds-").FullName, "broker.creds");
        File.WriteAllText(path, text);
        return path;
    }
}
