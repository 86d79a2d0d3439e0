using System.Text.Json.Nodes;
using Edge.Host.Tests.Tls;

namespace Edge.Host.Tests.Mqtt;

/// <summary>
/// mqtts:// to a broker's TLS listener (Mosquitto's, or the embedded broker's) whose certificate comes from a private CA;
/// mutual TLS with client certificates.
/// </summary>
public class TlsBrokerTests
{
    [Test]
    public async Task Tls_connection_syncs_when_the_certificate_is_allowed_and_is_refused_when_it_is_not()
    {
        using var pki = await TestPki.CreateAsync();
        await using var broker = await TestBroker.StartAsync(pki);
        var prefix = BrokerSyncTests.Prefix();
        await Assert.That(broker.Uri).StartsWith("mqtts://");

        var trusting = new BrokerNode(broker.Uri, prefix, "n1", configure: o => o.AllowUntrustedCertificates = true);
        var strict = new BrokerNode(broker.Uri, prefix, "n2"); // the system store does not know the test CA
        await using var agents = new Agents(trusting, strict);
        await StartAllAsync(trusting, strict);

        await Eventually.TrueAsync(() => trusting.Sync.IsSynced && trusting.Agent.Confirmed == 1, TimeSpan.FromSeconds(20), "TLS node synced");
        await AssertRefusedAsync(strict);
    }

    [Test]
    public async Task A_node_trusting_the_brokers_CA_syncs_and_one_trusting_another_CA_is_refused()
    {
        using var pki = await TestPki.CreateAsync();
        using var other = await TestPki.CreateAsync("another-ca");
        await using var broker = await TestBroker.StartAsync(pki);
        var prefix = BrokerSyncTests.Prefix();

        var right = new BrokerNode(broker.Uri, prefix, "n1", configure: o => o.CaFile = pki.CaFile);
        var wrong = new BrokerNode(broker.Uri, prefix, "n2", configure: o => o.CaFile = other.CaFile);
        await using var agents = new Agents(right, wrong);
        await StartAllAsync(right, wrong);

        await Eventually.TrueAsync(() => right.Sync.IsSynced && right.Agent.Confirmed == 1, TimeSpan.FromSeconds(20), "node trusting the broker's CA synced");
        await AssertRefusedAsync(wrong);
    }

    [Test]
    public async Task Mutual_TLS_admits_a_client_certificate_of_the_CA_and_refuses_none_or_another_CAs()
    {
        using var pki = await TestPki.CreateAsync();
        using var other = await TestPki.CreateAsync("another-ca");
        await using var broker = await TestBroker.StartAsync(pki, requireClientCertificate: true);
        var prefix = BrokerSyncTests.Prefix();
        var (cert, key) = await pki.IssueAsync("n1", server: false);
        var (foreignCert, foreignKey) = await other.IssueAsync("n3", server: false);

        var admitted = new BrokerNode(broker.Uri, prefix, "n1", configure: o => (o.CaFile, o.CertFile, o.KeyFile) = (pki.CaFile, cert, key));
        var anonymous = new BrokerNode(broker.Uri, prefix, "n2", configure: o => o.CaFile = pki.CaFile);
        var foreign = new BrokerNode(broker.Uri, prefix, "n3", configure: o => (o.CaFile, o.CertFile, o.KeyFile) = (pki.CaFile, foreignCert, foreignKey));
        await using var agents = new Agents(admitted, anonymous, foreign);
        await StartAllAsync(admitted, anonymous, foreign);

        await Eventually.TrueAsync(() => admitted.Sync.IsSynced && admitted.Agent.Confirmed == 1, TimeSpan.FromSeconds(20), "node with a client certificate synced");
        await AssertRefusedAsync(anonymous);
        await AssertRefusedAsync(foreign);
    }

    private static async Task StartAllAsync(params BrokerNode[] nodes)
    {
        foreach (var node in nodes)
        {
            await node.Agent.StartAsync(CancellationToken.None);
            node.Sync.UpdateLocal(new JsonObject { ["secure"] = true });
        }
    }

    private static async Task AssertRefusedAsync(BrokerNode node)
    {
        await Eventually.TrueAsync(
            () => node.Meters.Samples().Single(s => s.Name == "edge_mqtt_connect_failures_total").Value >= 2,
            TimeSpan.FromSeconds(20),
            $"{node.Node.Id} refused");
        await Assert.That(node.Agent.IsConnected).IsFalse();
        await Assert.That(node.Sync.PendingCount).IsEqualTo(1);
        await Assert.That(node.Agent.Published).IsEqualTo(0);
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
