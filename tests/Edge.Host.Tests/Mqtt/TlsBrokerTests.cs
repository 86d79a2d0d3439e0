using System.Text.Json.Nodes;
using Edge.Host.Mqtt;
using Edge.Runtime;

namespace Edge.Host.Tests.Mqtt;

/// <summary>mqtts:// to a Mosquitto TLS listener with a self-signed certificate.</summary>
public class TlsBrokerTests
{
    [Test]
    public async Task Tls_connection_syncs_when_the_certificate_is_allowed_and_is_refused_when_it_is_not()
    {
        TestBroker.RequireMosquitto("a broker with a TLS listener");
        await using var broker = await MosquittoBroker.StartAsync(tls: true);
        var prefix = BrokerSyncTests.Prefix();
        await Assert.That(broker.Uri).StartsWith("mqtts://");

        var trusting = new BrokerNode(broker.Uri, prefix, "n1", configure: o => o.AllowUntrustedCertificates = true);
        var strict = new BrokerNode(broker.Uri, prefix, "n2");
        await using var agents = new Agents(trusting, strict);

        await trusting.Agent.StartAsync(CancellationToken.None);
        await strict.Agent.StartAsync(CancellationToken.None);
        trusting.Sync.UpdateLocal(new JsonObject { ["secure"] = true });
        strict.Sync.UpdateLocal(new JsonObject { ["secure"] = true });

        await Eventually.TrueAsync(() => trusting.Sync.IsSynced && trusting.Agent.Confirmed == 1, TimeSpan.FromSeconds(20), "TLS node synced");
        await Eventually.TrueAsync(
            () => strict.Meters.Samples().Single(s => s.Name == "edge_mqtt_connect_failures_total").Value >= 2,
            TimeSpan.FromSeconds(20),
            "untrusting node refused");

        await Assert.That(strict.Agent.IsConnected).IsFalse();
        await Assert.That(strict.Sync.PendingCount).IsEqualTo(1);
        await Assert.That(strict.Agent.Published).IsEqualTo(0);
    }

    private sealed class Agents(params BrokerNode[] nodes) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            foreach (var node in nodes)
            {
                await node.DisposeAsync();
            }
        }
    }
}
