using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Edge.Host.Tests.Mqtt;
using Edge.Host.Tests.Process;

namespace Edge.Host.Tests.Broker;

/// <summary>
/// <c>serve --broker embedded</c> as a user runs it: a coordinator that is the fleet's broker, a node that joins it
/// with credentials, and retained state that survives SIGKILL of the coordinator.
/// </summary>
public class EmbeddedBrokerProcessTests
{
    [Test]
    public async Task A_coordinator_with_the_embedded_broker_serves_a_fleet_and_keeps_retained_state_across_sigkill()
    {
        var root = Directory.CreateTempSubdirectory("edge-embedded-").FullName;
        var credentials = Path.Combine(root, "broker.creds");
        await File.WriteAllTextAsync(credentials, "# fleet\nfleet:0123456789abcdef\n");
        var port = ChildHost.FreePort();
        var broker = $"mqtt://127.0.0.1:{port}";
        string[] coordinatorArgs =
        [
            "--data-dir", Path.Combine(root, "coord"), "--node-id", "coord", "--coordinator", "--heartbeat-seconds", "0.5",
            "--broker", "embedded", "--broker-listen", $"127.0.0.1:{port}", "--broker-credentials", credentials,
        ];
        try
        {
            var coordinator = await ChildHost.StartServeAsync(coordinatorArgs);
            try
            {
                await using (var node = await ChildHost.StartServeAsync(
                [
                    "--data-dir", Path.Combine(root, "n1"), "--node-id", "n1", "--heartbeat-seconds", "0.5",
                    "--mqtt", broker, "--mqtt-username", "fleet", "--mqtt-password", "0123456789abcdef",
                ]))
                {
                    await Eventually.TrueAsync(async () => await Listed(coordinator, "n1"), TimeSpan.FromSeconds(30), "n1 listed at the coordinator");
                    using var put = await node.Client.PutAsync("/v1/state", new StringContent("""{"door":"open"}""", Encoding.UTF8, "application/json"));
                    await Assert.That(put.StatusCode).IsEqualTo(HttpStatusCode.OK);
                    await Eventually.TrueAsync(async () => (await Pending(node)) == 0, TimeSpan.FromSeconds(30), "n1's change confirmed by the broker");

                    await Assert.That(async () => await MqttProbe.ConnectAsync(broker, "intruder", username: "fleet", password: "guess")).Throws<Exception>();
                    var metrics = await coordinator.Client.GetStringAsync("/metrics");
                    await Assert.That(metrics).Contains("edge_broker_refused_connections_total{node=\"coord\"} 1\n");
                    // The coordinator's own two sessions (its node and its fleet registry) and n1.
                    await Assert.That(metrics).Contains("edge_broker_clients{node=\"coord\"} 3\n");
                }

                // Only the broker's store can answer now: the node is gone, and the coordinator dies without a word.
                await coordinator.SignalAsync(9);
                await coordinator.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }
            finally
            {
                await coordinator.DisposeAsync();
            }

            await using var restarted = await ChildHost.StartServeAsync(coordinatorArgs);
            await using var reader = await MqttProbe.ConnectAsync(broker, "reader", username: "fleet", password: "0123456789abcdef");
            await reader.SubscribeAsync("edge/v1/n1/state");
            var state = (await reader.WaitForAsync("edge/v1/n1/state", m => m.Count == 1))[0];
            await Assert.That(state.Retain).IsTrue();
            await Assert.That(state.Json["version"]!.GetValue<long>()).IsEqualTo(1);
            await Assert.That(state.Json["data"]!.ToJsonString()).IsEqualTo("""{"door":"open"}""");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Test]
    public async Task The_embedded_broker_on_a_port_in_use_stops_start_up_with_one_line()
    {
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;
        var run = await ChildHost.RunAsync("serve", "--broker", "embedded", "--broker-listen", $"127.0.0.1:{port}",
            "--data-dir", Directory.CreateTempSubdirectory("edge-child-").FullName);
        await Assert.That(run.ExitCode).IsEqualTo(1);
        var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        await Assert.That(lines.Length).IsEqualTo(1);
        await Assert.That(lines[0]).StartsWith($"edge-host: the embedded broker cannot listen on 127.0.0.1:{port}: ");
    }

    private static async Task<bool> Listed(ChildHost coordinator, string id)
    {
        var nodes = await coordinator.Client.GetFromJsonAsync<JsonArray>("/v1/cluster/nodes");
        return nodes!.Any(n => n!["id"]!.GetValue<string>() == id && n["heardFrom"]?.GetValue<bool>() == true);
    }

    private static async Task<int> Pending(ChildHost node)
    {
        var pending = await node.Client.GetFromJsonAsync<JsonArray>("/v1/state/pending");
        return pending!.Count;
    }
}
