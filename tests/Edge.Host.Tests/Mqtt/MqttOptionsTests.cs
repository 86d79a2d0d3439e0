using Edge.Host.Mqtt;
using Edge.Runtime;

namespace Edge.Host.Tests.Mqtt;

public class MqttOptionsTests
{
    [Test]
    public async Task Host_port_and_tls_come_from_the_uri()
    {
        var plain = new MqttOptions { Broker = "mqtt://broker.local:1884" };
        var tls = new MqttOptions { Broker = "mqtts://broker.local" };
        var bare = new MqttOptions { Broker = "mqtt://10.0.0.5" };
        var alias = new MqttOptions { Broker = "ssl://broker.local" };

        await Assert.That(plain.Validate()).IsNull();
        await Assert.That(plain.Host).IsEqualTo("broker.local");
        await Assert.That(plain.Port).IsEqualTo(1884);
        await Assert.That(plain.UseTls).IsFalse();
        await Assert.That(tls.UseTls).IsTrue();
        await Assert.That(tls.Port).IsEqualTo(8883);
        await Assert.That(alias.UseTls).IsTrue();
        await Assert.That(alias.Port).IsEqualTo(8883);
        await Assert.That(bare.Port).IsEqualTo(1883);
        await Assert.That(plain.TopicPrefix).IsEqualTo("edge/v1");
        await Assert.That(plain.HeartbeatInterval).IsEqualTo(TimeSpan.FromSeconds(5));
        await Assert.That(plain.OfflineTimeout).IsEqualTo(TimeSpan.FromSeconds(15));
        await Assert.That(plain.MaxMessageBytes).IsEqualTo(256 * 1024);
        await Assert.That(new MqttOptions { Broker = "mqtt://b", Tls = true }.UseTls).IsTrue();
        await Assert.That(new MqttOptions { Broker = "mqtts://b", Tls = false }.UseTls).IsFalse();
    }

    [Test]
    [Arguments("http://broker:1883", "not a broker URI")]
    [Arguments("mqtt://", "not a broker URI")]
    [Arguments("broker:1883", "not a broker URI")]
    [Arguments("mqtt://user:pw@broker:1883", "credentials")]
    [Arguments("mqtt://broker:1883/some/path", "not a broker URI")]
    [Arguments("mqtt://broker:1883?x=1", "not a broker URI")]
    public async Task A_bad_uri_is_refused_with_one_line_naming_the_setting(string uri, string expected)
    {
        var error = new MqttOptions { Broker = uri }.Validate();

        await Assert.That(error).StartsWith("Broker: ");
        await Assert.That(error).Contains(expected);
        await Assert.That(error).DoesNotContain("\n");
        await Assert.That(MqttOptions.ValidateBroker(uri)).Contains(expected);
    }

    [Test]
    public async Task Validate_names_the_first_bad_setting()
    {
        static string? Check(Action<MqttOptions> change)
        {
            var options = new MqttOptions { Broker = "mqtt://127.0.0.1:1883" };
            change(options);
            return options.Validate();
        }

        await Assert.That(Check(_ => { })).IsNull();
        await Assert.That(Check(o => o.TopicPrefix = "edge/#")).StartsWith("TopicPrefix: ");
        await Assert.That(Check(o => o.TopicPrefix = "/edge")).StartsWith("TopicPrefix: ");
        await Assert.That(Check(o => o.ClientId = "a/b")).StartsWith("ClientId: ");
        await Assert.That(Check(o => o.ClientId = new string('c', 129))).StartsWith("ClientId: ");
        await Assert.That(Check(o => o.HeartbeatInterval = TimeSpan.Zero)).StartsWith("HeartbeatInterval: ");
        await Assert.That(Check(o => o.OfflineTimeout = TimeSpan.FromSeconds(5))).IsEqualTo("OfflineTimeout: (5s) must be longer than the heartbeat interval (5s)");
        await Assert.That(Check(o => o.MaxMessageBytes = 10)).IsEqualTo("MaxMessageBytes: 10 is not a whole number from 1024 to 268435456");
        await Assert.That(Check(o => o.MaxJsonDepth = 0)).IsEqualTo("MaxJsonDepth: 0 is not a whole number from 1 to 256");
        await Assert.That(Check(o => o.MaxJsonDepth = JsonLimits.MaxDepth + 1)).IsEqualTo("MaxJsonDepth: 257 is not a whole number from 1 to 256");
        await Assert.That(Check(o => o.MaxJsonDepth = 1)).IsNull();
        await Assert.That(Check(o => o.MaxJsonDepth = JsonLimits.MaxDepth)).IsNull();
        await Assert.That(new MqttOptions().MaxJsonDepth).IsEqualTo(JsonLimits.DefaultDepth);
        await Assert.That(Check(o => o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(100))).StartsWith("ReconnectMaxDelay: ");
        await Assert.That(Check(o => o.ReconnectMinDelay = TimeSpan.Zero)).StartsWith("ReconnectMinDelay: ");
        await Assert.That(Check(o => o.KeepAlive = TimeSpan.Zero)).StartsWith("KeepAlive: ");
        await Assert.That(Check(o => o.SessionExpiry = TimeSpan.FromSeconds(-1))).StartsWith("SessionExpiry: ");
        await Assert.That(Check(o => o.ConnectTimeout = TimeSpan.Zero)).StartsWith("ConnectTimeout: ");
        await Assert.That(Check(o => o.Password = "secret")).StartsWith("Password: ");
        await Assert.That(Check(o => o.AllowUntrustedCertificates = true)).StartsWith("AllowUntrustedCertificates: ");
        await Assert.That(Check(o => { o.Broker = "mqtts://b"; o.AllowUntrustedCertificates = true; })).IsNull();
    }

    [Test]
    public async Task ToString_hides_the_password()
    {
        var options = new MqttOptions { Username = "u", Password = "hunter2" };

        await Assert.That(options.ToString()).DoesNotContain("hunter2");
        await Assert.That(options.ToString()).Contains("***");
    }

    [Test]
    public async Task Backoff_doubles_to_the_cap_with_jitter_in_the_upper_half()
    {
        var min = TimeSpan.FromMilliseconds(500);
        var max = TimeSpan.FromSeconds(30);

        await Assert.That(MqttConnectionLoop.Backoff(0, min, max, 0.0)).IsEqualTo(TimeSpan.FromMilliseconds(250));
        await Assert.That(MqttConnectionLoop.Backoff(0, min, max, 1.0)).IsEqualTo(TimeSpan.FromMilliseconds(500));
        await Assert.That(MqttConnectionLoop.Backoff(3, min, max, 1.0)).IsEqualTo(TimeSpan.FromSeconds(4));
        await Assert.That(MqttConnectionLoop.Backoff(3, min, max, 0.5)).IsEqualTo(TimeSpan.FromSeconds(3));
        await Assert.That(MqttConnectionLoop.Backoff(20, min, max, 1.0)).IsEqualTo(max);
        await Assert.That(MqttConnectionLoop.Backoff(1000, min, max, 0.0)).IsEqualTo(TimeSpan.FromSeconds(15));
    }

    [Test]
    public async Task Topics_split_only_their_own_tree()
    {
        var topics = new MqttTopics("acme/edge");

        await Assert.That(topics.For("n1", MqttTopics.DesiredResultLeaf)).IsEqualTo("acme/edge/n1/desired/result");
        await Assert.That(topics.TryParse("acme/edge/n1/desired/result", out var id, out var leaf)).IsTrue();
        await Assert.That(id).IsEqualTo("n1");
        await Assert.That(leaf).IsEqualTo("desired/result");
        await Assert.That(topics.TryParse("acme/edgeX/n1/state", out _, out _)).IsFalse();
        await Assert.That(topics.TryParse("acme/edge/n1", out _, out _)).IsFalse();
        await Assert.That(MqttTopics.ValidateNodeId("a+b")).IsNotNull();
        await Assert.That(MqttTopics.ValidateNodeId("gateway-7")).IsNull();
    }
}
