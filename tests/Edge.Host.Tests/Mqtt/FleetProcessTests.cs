using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Edge.Host.Tests.Process;

namespace Edge.Host.Tests.Mqtt;

/// <summary>
/// Three <c>edge-host serve --mqtt</c> node processes and one <c>--coordinator</c> through a real Mosquitto: every node
/// appears Online; a SIGKILLed node turns Offline through its last will; restarted, it comes back Online with its
/// durable state.
/// </summary>
[NotInParallel("broker-restarts")]
public class FleetProcessTests
{
    [Test]
    public async Task Fleet_of_processes_last_will_on_SIGKILL_and_durable_return()
    {
        await using var broker = await TestBroker.StartAsync();
        var prefix = BrokerSyncTests.Prefix();
        var root = Directory.CreateTempSubdirectory("edge-fleet-").FullName;
        var hosts = new List<ChildHost>();
        try
        {
            string[] Common(string id) =>
            [
                "--data-dir", Path.Combine(root, id), "--node-id", id, "--mqtt", broker.Uri, "--mqtt-topic-prefix", prefix,
                "--heartbeat-seconds", "0.5", "--offline-after-seconds", "3",
            ];

            var coordinator = await ChildHost.StartServeAsync([.. Common("coord"), "--coordinator"]);
            hosts.Add(coordinator);
            var nodes = new Dictionary<string, ChildHost>();
            foreach (var id in new[] { "n1", "n2", "n3" })
            {
                nodes[id] = await ChildHost.StartServeAsync([.. Common(id), "--capabilities", id == "n3" ? "gpu" : "camera"]);
                hosts.Add(nodes[id]);
            }

            await Eventually.TrueAsync(
                async () => await Statuses(coordinator) is var s && new[] { "n1", "n2", "n3" }.All(id => s.GetValueOrDefault(id) == "online"),
                TimeSpan.FromSeconds(30),
                "n1, n2, n3 online at the coordinator");

            // n2 gets state, then dies without any goodbye.
            using (var put = await nodes["n2"].Client.PutAsync("/v1/state", new StringContent("""{"valve":"open","flow":12.5}""", Encoding.UTF8, "application/json")))
            {
                await Assert.That(put.StatusCode).IsEqualTo(HttpStatusCode.OK);
            }

            await Eventually.TrueAsync(async () => (await Health(nodes["n2"]))?["pending"]?.GetValue<int>() == 0, TimeSpan.FromSeconds(20), "n2 state pushed");
            var killedAt = Stopwatch.GetTimestamp();
            await nodes["n2"].SignalAsync(9);
            await nodes["n2"].WaitForExitAsync(TimeSpan.FromSeconds(10));

            await Eventually.TrueAsync(async () => (await Statuses(coordinator)).GetValueOrDefault("n2") == "offline", TimeSpan.FromSeconds(10), "n2 offline");
            var offlineAfter = Stopwatch.GetElapsedTime(killedAt);
            Console.WriteLine($"SIGKILLed node marked offline by the coordinator after {offlineAfter.TotalMilliseconds:0} ms (heartbeat timeout 3 s)");

            // Through the last will, not the heartbeat timeout: the coordinator counts each cause.
            // (The status is set a moment before the count, so wait for the count too.)
            await Eventually.TrueAsync(
                async () => OfflineCount(await coordinator.Client.GetStringAsync("/metrics"), "last_will") >= 1, TimeSpan.FromSeconds(10), "last-will count");
            var metrics = await coordinator.Client.GetStringAsync("/metrics");
            await Assert.That(OfflineCount(metrics, "last_will")).IsEqualTo(1).Because(metrics);
            await Assert.That(OfflineCount(metrics, "heartbeat_timeout")).IsEqualTo(0).Because(metrics);
            var others = await Statuses(coordinator);
            await Assert.That(others["n1"]).IsEqualTo("online");
            await Assert.That(others["n3"]).IsEqualTo("online");

            var restarted = await ChildHost.StartServeAsync([.. Common("n2"), "--capabilities", "camera"]);
            hosts.Add(restarted);
            await Eventually.TrueAsync(async () => (await Statuses(coordinator)).GetValueOrDefault("n2") == "online", TimeSpan.FromSeconds(30), "n2 online again");
            var state = (await restarted.Client.GetFromJsonAsync<JsonObject>("/v1/state"))!;
            await Assert.That(state["version"]!.GetValue<long>()).IsEqualTo(1);
            await Assert.That(state["data"]!["valve"]!.GetValue<string>()).IsEqualTo("open");
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.DisposeAsync();
            }

            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<Dictionary<string, string>> Statuses(ChildHost coordinator)
    {
        try
        {
            var nodes = await coordinator.Client.GetFromJsonAsync<JsonArray>("/v1/cluster/nodes");
            return nodes!.Select(n => n!.AsObject()).ToDictionary(n => n["id"]!.GetValue<string>(), n => n["status"]!.GetValue<string>());
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    /// <summary>The coordinator's <c>edge_coordinator_offline_total</c> sample for one cause.</summary>
    private static double OfflineCount(string metrics, string cause)
    {
        var match = Regex.Match(metrics, $$"""^edge_coordinator_offline_total\{[^}]*cause="{{cause}}"[^}]*\} (\S+)$""", RegexOptions.Multiline);
        return match.Success
            ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"edge_coordinator_offline_total{{cause=\"{cause}\"}} is not in /metrics:\n{metrics}");
    }

    private static async Task<JsonObject?> Health(ChildHost host)
    {
        try
        {
            return await host.Client.GetFromJsonAsync<JsonObject>("/readyz");
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
