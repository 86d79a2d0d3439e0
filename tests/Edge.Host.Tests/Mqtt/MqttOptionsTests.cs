using Edge.Host.Mqtt;
using Edge.Runtime;

namespace Edge.Host.Tests.Mqtt;

public class MqttOptionsTests
{
    [Test]
    public async Task Parse_reads_host_port_and_tls_from_the_uri()
    {
        var plain = MqttOptions.Parse("mqtt://broker.local:1884");
        var tls = MqttOptions.Parse("mqtts://broker.local");
        var bare = MqttOptions.Parse("mqtt://10.0.0.5");

        await Assert.That(plain.Host).IsEqualTo("broker.local");
        await Assert.That(plain.Port).IsEqualTo(1884);
        await Assert.That(plain.UseTls).IsFalse();
        await Assert.That(tls.UseTls).IsTrue();
        await Assert.That(tls.Port).IsEqualTo(8883);
        await Assert.That(bare.Port).IsEqualTo(1883);
        await Assert.That(plain.TopicPrefix).IsEqualTo("edge/v1");
        await Assert.That(plain.HeartbeatInterval).IsEqualTo(TimeSpan.FromSeconds(5));
        await Assert.That(plain.OfflineTimeout).IsEqualTo(TimeSpan.FromSeconds(15));
        await Assert.That(plain.MaxMessageBytes).IsEqualTo(256 * 1024);
    }

    [Test]
    [Arguments("http://broker:1883", "mqtt broker")]
    [Arguments("mqtt://", "mqtt broker")]
    [Arguments("broker:1883", "mqtt broker")]
    [Arguments("mqtt://user:pw@broker:1883", "credentials")]
    [Arguments("mqtt://broker:1883/some/path", "mqtt broker")]
    public async Task Parse_refuses_a_bad_uri_with_one_line_naming_the_setting(string uri, string expected)
    {
        var error = await Assert.That(() => MqttOptions.Parse(uri)).Throws<FormatException>();

        await Assert.That(error!.Message).Contains(expected);
        await Assert.That(error.Message).DoesNotContain("\n");
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
        await Assert.That(Check(o => o.TopicPrefix = "edge/#")).Contains("topic prefix");
        await Assert.That(Check(o => o.TopicPrefix = "/edge")).Contains("topic prefix");
        await Assert.That(Check(o => o.ClientId = "a/b")).Contains("client id");
        await Assert.That(Check(o => o.HeartbeatInterval = TimeSpan.Zero)).Contains("heartbeat interval");
        await Assert.That(Check(o => o.OfflineTimeout = TimeSpan.FromSeconds(5))).Contains("offline timeout");
        await Assert.That(Check(o => o.MaxMessageBytes = 10)).Contains("max message bytes");
        await Assert.That(Check(o => o.MaxJsonDepth = 0)).IsEqualTo("mqtt max JSON depth (0) must be between 1 and 256");
        await Assert.That(Check(o => o.MaxJsonDepth = JsonLimits.MaxDepth + 1)).IsEqualTo("mqtt max JSON depth (257) must be between 1 and 256");
        await Assert.That(Check(o => o.MaxJsonDepth = 1)).IsNull();
        await Assert.That(Check(o => o.MaxJsonDepth = JsonLimits.MaxDepth)).IsNull();
        await Assert.That(new MqttOptions().MaxJsonDepth).IsEqualTo(JsonLimits.DefaultDepth);
        await Assert.That(Check(o => o.ReconnectMaxDelay = TimeSpan.FromMilliseconds(100))).Contains("reconnect max delay");
        await Assert.That(Check(o => o.KeepAlive = TimeSpan.Zero)).Contains("keep-alive");
        await Assert.That(Check(o => o.Password = "secret")).Contains("password");
        await Assert.That(Check(o => o.AllowUntrustedCertificates = true)).Contains("allow-untrusted");
    }

    [Test]
    public async Task TrySet_binds_text_settings_and_durations()
    {
        var options = new MqttOptions();

        await Assert.That(options.TrySet("broker", "mqtts://b:9000")).IsNull();
        await Assert.That(options.TrySet("heartbeat", "250ms")).IsNull();
        await Assert.That(options.TrySet("offline_timeout", "2m")).IsNull();
        await Assert.That(options.TrySet("max-message-bytes", "4096")).IsNull();
        await Assert.That(options.TrySet("allow-untrusted", "yes")).IsNull();
        await Assert.That(options.TrySet("reconnect-max", "1.5")).IsNull();
        await Assert.That(options.TrySet("heartbeat", "soon")).Contains("heartbeat");
        await Assert.That(options.TrySet("tls", "maybe")).Contains("tls");
        await Assert.That(options.TrySet("colour", "blue")).Contains("unknown mqtt setting");

        await Assert.That(options.HeartbeatInterval).IsEqualTo(TimeSpan.FromMilliseconds(250));
        await Assert.That(options.OfflineTimeout).IsEqualTo(TimeSpan.FromMinutes(2));
        await Assert.That(options.MaxMessageBytes).IsEqualTo(4096);
        await Assert.That(options.ReconnectMaxDelay).IsEqualTo(TimeSpan.FromSeconds(1.5));
        await Assert.That(options.UseTls).IsTrue();
        await Assert.That(options.Validate()).IsNull();
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
