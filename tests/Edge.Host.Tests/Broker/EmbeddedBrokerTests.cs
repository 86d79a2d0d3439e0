using System.Buffers;
using System.Net.Sockets;
using System.Text;
using Edge.Host.Broker;
using Edge.Host.Options;
using Edge.Host.Tests.Mqtt;
using Edge.Host.Tests.Process;
using MQTTnet;
using MQTTnet.Protocol;

namespace Edge.Host.Tests.Broker;

/// <summary>The embedded MQTTnet broker in this process: who it admits, and retained messages that outlive it.</summary>
public class EmbeddedBrokerTests
{
    private static (BrokerOptions Options, string Uri) Loopback(BrokerCredentials? users = null)
    {
        var port = ChildHost.FreePort();
        var options = new BrokerOptions { Mode = BrokerMode.Embedded, Listen = $"127.0.0.1:{port}", CredentialsFile = users is null ? null : "test.creds" };
        return (options, $"mqtt://127.0.0.1:{port}");
    }

    private static async Task<EmbeddedBroker> StartAsync(BrokerOptions options, string dataDir, BrokerCredentials? users = null, TestMeters? meters = null)
    {
        var broker = new EmbeddedBroker(options, users, dataDir, meterFactory: meters?.Factory);
        await broker.StartAsync(CancellationToken.None);
        return broker;
    }

    private static string[] RetainedFiles(string dataDir) => Directory.GetFiles(Path.Combine(dataDir, "broker"), "*.retained");

    [Test]
    public async Task Retained_messages_survive_a_broker_restart_and_a_clear_deletes_them()
    {
        var dataDir = Directory.CreateTempSubdirectory("edge-broker-").FullName;
        var (options, uri) = Loopback();
        await using (var broker = await StartAsync(options, dataDir))
        {
            await using var publisher = await MqttProbe.ConnectAsync(uri, "publisher");
            await publisher.PublishAsync("edge/v1/n1/state", """{"version":3}""", retain: true);
            await publisher.PublishAsync("edge/v1/n2/state", """{"version":7}""", retain: true);
            await publisher.PublishAsync("edge/v1/n2/changes", """{"not":"retained"}""");
            await Eventually.TrueAsync(() => RetainedFiles(dataDir).Length == 2, TimeSpan.FromSeconds(10), "two retained files");
        }

        var (again, uri2) = Loopback();
        await using (var broker = await StartAsync(again, dataDir))
        {
            await using var reader = await MqttProbe.ConnectAsync(uri2, "reader");
            await reader.SubscribeAsync("edge/v1/+/state");
            await reader.WaitForAsync("edge/v1/n2/state", m => m.Count == 1);
            await reader.WaitForAsync("edge/v1/n1/state", m => m.Count == 1);
            await Assert.That(reader.On("edge/v1/n1/state")[0].Text).IsEqualTo("""{"version":3}""");
            await Assert.That(reader.On("edge/v1/n1/state")[0].Retain).IsTrue();
            await Assert.That(reader.On("edge/v1/n2/state")[0].Text).IsEqualTo("""{"version":7}""");

            await reader.PublishAsync("edge/v1/n1/state", [], retain: true); // MQTT's way to clear a retained message
            await Eventually.TrueAsync(() => RetainedFiles(dataDir).Length == 1, TimeSpan.FromSeconds(10), "n1's file deleted");
        }

        var (third, uri3) = Loopback();
        await using (var broker = await StartAsync(third, dataDir))
        {
            await using var reader = await MqttProbe.ConnectAsync(uri3, "reader");
            await reader.SubscribeAsync("edge/v1/+/state");
            await reader.WaitForAsync("edge/v1/n2/state", m => m.Count == 1);
            await Assert.That(reader.On("edge/v1/n1/state").Count).IsEqualTo(0);
        }
    }

    [Test]
    public async Task Clients_with_a_wrong_or_missing_password_are_refused_and_counted()
    {
        using var meters = new TestMeters();
        var users = BrokerCredentials.Parse("fleet:correct-horse\nops:battery-staple\n");
        var (options, uri) = Loopback(users);
        await using var broker = await StartAsync(options, Directory.CreateTempSubdirectory("edge-broker-").FullName, users, meters);

        var wrong = await Assert.That(async () => await MqttProbe.ConnectAsync(uri, "intruder", username: "fleet", password: "guess")).Throws<Exception>();
        await Assert.That(wrong!.Message).Contains("BadUserNameOrPassword");
        await Assert.That(async () => await MqttProbe.ConnectAsync(uri, "anonymous")).Throws<Exception>();
        await Assert.That(async () => await MqttProbe.ConnectAsync(uri, "swapped", username: "ops", password: "correct-horse")).Throws<Exception>();
        await Assert.That(broker.Refused).IsEqualTo(3);

        await using var fleet = await MqttProbe.ConnectAsync(uri, "fleet-1", username: "fleet", password: "correct-horse");
        var ops = await MqttProbe.ConnectAsync(uri, "ops-1", username: "ops", password: "battery-staple");
        await Assert.That(fleet.IsConnected && ops.IsConnected).IsTrue();
        await Assert.That(broker.Refused).IsEqualTo(3);

        var samples = meters.Samples();
        await Assert.That(samples.Single(s => s.Name == "edge_broker_refused_connections_total").Value).IsEqualTo(3);
        // Refused clients never counted as connected; a disconnect is counted off.
        await Eventually.TrueAsync(() => meters.Samples().Single(s => s.Name == "edge_broker_clients").Value == 2, TimeSpan.FromSeconds(10), "two clients");
        await ops.DisposeAsync();
        await Eventually.TrueAsync(() => meters.Samples().Single(s => s.Name == "edge_broker_clients").Value == 1, TimeSpan.FromSeconds(10), "one client left");
    }

    [Test]
    public async Task With_a_client_CA_only_clients_with_its_certificates_get_in_and_refusals_are_counted()
    {
        using var meters = new TestMeters();
        using var pki = await Tls.TestPki.CreateAsync();
        using var other = await Tls.TestPki.CreateAsync("another-ca");
        var (options, _) = Loopback();
        (options.CertFile, options.KeyFile) = await pki.IssueAsync("broker", server: true);
        options.ClientCaFile = pki.CaFile;
        await using var broker = await StartAsync(options, Directory.CreateTempSubdirectory("edge-broker-").FullName, meters: meters);
        var port = options.ListenEndPoint().Port;

        // Plain TCP to a TLS-only listener, TLS without a certificate, and a certificate of another CA: all refused.
        await Assert.That(await TryConnectAsync(port, "plain", tls: false, null)).IsFalse();
        await Assert.That(await TryConnectAsync(port, "anonymous", tls: true, null)).IsFalse();
        var (foreignCert, foreignKey) = await other.IssueAsync("intruder", server: false);
        using var foreign = Edge.Host.Tls.PemFiles.LoadCertificate(foreignCert, foreignKey);
        await Assert.That(await TryConnectAsync(port, "intruder", tls: true, foreign)).IsFalse();
        await Assert.That(broker.Refused).IsEqualTo(2); // the plain client never reached the certificate check

        var (cert, key) = await pki.IssueAsync("n1", server: false);
        using var identity = Edge.Host.Tls.PemFiles.LoadCertificate(cert, key);
        await Assert.That(await TryConnectAsync(port, "n1", tls: true, identity)).IsTrue();
        await Assert.That(broker.Refused).IsEqualTo(2);
        await Assert.That(meters.Samples().Single(s => s.Name == "edge_broker_refused_connections_total").Value).IsEqualTo(2);
    }

    [Test]
    public async Task A_renewed_certificate_is_served_from_the_next_connection_and_a_broken_one_is_not()
    {
        using var pki = await Tls.TestPki.CreateAsync();
        var (options, _) = Loopback();
        var (first, firstKey) = await pki.IssueAsync("broker", server: true);
        var (certFile, keyFile) = (Path.Combine(pki.Dir, "live.pem"), Path.Combine(pki.Dir, "live.key"));
        File.Copy(first, certFile);
        File.Copy(firstKey, keyFile);
        (options.CertFile, options.KeyFile) = (certFile, keyFile);
        await using var broker = await StartAsync(options, Directory.CreateTempSubdirectory("edge-broker-").FullName);
        var port = options.ListenEndPoint().Port;

        var served = new List<string>();
        await Assert.That(await TryConnectAsync(port, "c1", tls: true, null, served.Add)).IsTrue();

        // Renewed in place, as certbot or step-ca do: the next client gets the new certificate, without a restart.
        var (second, secondKey) = await pki.IssueAsync("broker", server: true);
        File.Copy(second, certFile, overwrite: true);
        File.Copy(secondKey, keyFile, overwrite: true);
        await Assert.That(await TryConnectAsync(port, "c2", tls: true, null, served.Add)).IsTrue();

        // A renewal caught half-written: the last good certificate stays in use.
        await File.WriteAllTextAsync(certFile, "-----BEGIN CERTIFICATE-----\ntruncated");
        await Assert.That(await TryConnectAsync(port, "c3", tls: true, null, served.Add)).IsTrue();

        using var firstCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(first, firstKey);
        using var secondCertificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(second, secondKey);
        await Assert.That(served).IsEquivalentTo(
            [firstCertificate.Thumbprint, secondCertificate.Thumbprint, secondCertificate.Thumbprint], TUnit.Assertions.Enums.CollectionOrdering.Matching);
    }

    /// <summary>
    /// Connects an MQTTnet client (trusting any server certificate: the broker is under test, not the client; each one
    /// it is shown goes to <paramref name="serverCertificate"/> by thumbprint) and disconnects.
    /// </summary>
    private static async Task<bool> TryConnectAsync(
        int port, string clientId, bool tls, System.Security.Cryptography.X509Certificates.X509Certificate2? identity, Action<string>? serverCertificate = null)
    {
        var builder = new MqttClientOptionsBuilder().WithTcpServer("127.0.0.1", port).WithClientId(clientId).WithTimeout(TimeSpan.FromSeconds(5));
        if (tls)
        {
            builder = builder.WithTlsOptions(o =>
            {
                o.UseTls().WithCertificateValidationHandler(e =>
                {
                    serverCertificate?.Invoke(e.Certificate.GetCertHashString());
                    return true;
                });
                if (identity is not null)
                {
                    o.WithClientCertificates([identity]);
                }
            });
        }

        using var client = new MqttClientFactory().CreateMqttClient();
        try
        {
            var result = await client.ConnectAsync(builder.Build());
            var connected = result.ResultCode == MqttClientConnectResultCode.Success;
            if (connected)
            {
                await client.DisconnectAsync();
            }

            return connected;
        }
        catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException or IOException)
        {
            return false;
        }
    }

    [Test]
    public async Task A_corrupt_retained_file_is_moved_aside_and_the_rest_are_served()
    {
        var dataDir = Directory.CreateTempSubdirectory("edge-broker-").FullName;
        var store = Path.Combine(dataDir, "broker");
        Directory.CreateDirectory(store);
        var good = RetainedStore.Encode(Message("edge/v1/good/state", "ok"));
        await File.WriteAllBytesAsync(Path.Combine(store, "a.retained"), good);
        var flipped = (byte[])good.Clone();
        flipped[^6] ^= 0x01; // a payload bit: the CRC no longer matches
        await File.WriteAllBytesAsync(Path.Combine(store, "b.retained"), flipped);
        await File.WriteAllBytesAsync(Path.Combine(store, "c.retained"), good[..^3]); // torn
        await File.WriteAllBytesAsync(Path.Combine(store, "d.retained.tmp"), good[..5]); // a write a crash cut short

        var (options, uri) = Loopback();
        await using var broker = await StartAsync(options, dataDir);
        await using var reader = await MqttProbe.ConnectAsync(uri, "reader");
        await reader.SubscribeAsync("edge/v1/#");
        await reader.WaitForAsync("edge/v1/good/state", m => m.Count == 1);

        await Assert.That(Directory.GetFiles(store).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal))
            .IsEquivalentTo(new[] { "a.retained", "b.retained.corrupt", "c.retained.corrupt" }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(reader.Messages.Count).IsEqualTo(1);
    }

    [Test]
    public async Task A_port_in_use_is_a_clear_listen_error()
    {
        using var taken = new TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var broker = new EmbeddedBroker(new BrokerOptions { Mode = BrokerMode.Embedded, Listen = $"127.0.0.1:{port}" }, null,
            Directory.CreateTempSubdirectory("edge-broker-").FullName);
        await using (broker)
        {
            var error = await Assert.That(() => broker.StartAsync(CancellationToken.None)).Throws<BrokerListenException>();
            await Assert.That(error!.Message).StartsWith($"the embedded broker cannot listen on 127.0.0.1:{port}: ");
        }
    }

    [Test]
    public async Task The_retained_file_format_round_trips_and_any_flipped_byte_is_refused()
    {
        var message = Message("edge/v1/ünïcode/state", """{"t":21.5}""", "application/json", MqttQualityOfServiceLevel.AtLeastOnce);
        var bytes = RetainedStore.Encode(message);
        var back = RetainedStore.Decode(bytes)!;
        await Assert.That(back.Topic).IsEqualTo(message.Topic);
        await Assert.That(back.ContentType).IsEqualTo("application/json");
        await Assert.That(back.QualityOfServiceLevel).IsEqualTo(MqttQualityOfServiceLevel.AtLeastOnce);
        await Assert.That(Encoding.UTF8.GetString(back.Payload.ToArray())).IsEqualTo("""{"t":21.5}""");
        await Assert.That(back.Retain).IsTrue();

        for (var i = 0; i < bytes.Length; i++)
        {
            var damaged = (byte[])bytes.Clone();
            damaged[i] ^= 0x40;
            await Assert.That(RetainedStore.Decode(damaged)).IsNull();
        }

        for (var length = 0; length < bytes.Length; length++)
        {
            await Assert.That(RetainedStore.Decode(bytes.AsSpan(0, length))).IsNull();
        }
    }

    private static MqttApplicationMessage Message(string topic, string payload, string? contentType = null, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtMostOnce) => new()
    {
        Topic = topic,
        Payload = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(payload)),
        ContentType = contentType,
        QualityOfServiceLevel = qos,
        Retain = true,
    };
}
