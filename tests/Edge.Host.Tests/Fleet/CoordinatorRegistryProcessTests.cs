using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Edge.Host.Tests.Mqtt;
using Edge.Host.Tests.Process;

namespace Edge.Host.Tests.Fleet;

/// <summary>
/// On a coordinator, <c>/v1/cluster/nodes</c> is the fleet registry: remote nodes with the functions their heartbeats
/// report, and nodes registered over HTTP marked as not heard from.
/// </summary>
[NotInParallel("broker-restarts")]
public class CoordinatorRegistryProcessTests
{
    [Test]
    public async Task Cluster_routes_on_a_coordinator_report_remote_functions_and_registrations_not_heard_from()
    {
        await using var broker = await TestBroker.StartAsync();
        var prefix = BrokerSyncTests.Prefix();
        var root = Directory.CreateTempSubdirectory("edge-registry-").FullName;
        try
        {
            string[] Common(string id) =>
            [
                "--data-dir", Path.Combine(root, id), "--node-id", id, "--mqtt", broker.Uri, "--mqtt-topic-prefix", prefix,
                "--heartbeat-seconds", "0.5", "--offline-after-seconds", "5",
            ];

            await using var coordinator = await ChildHost.StartServeAsync([.. Common("coord"), "--coordinator"]);
            await using var node = await ChildHost.StartServeAsync([.. Common("n1"), "--capabilities", "camera"]);

            // Its presence message may list n1 before its first heartbeat (capabilities, functions) arrives: wait for both.
            await Eventually.TrueAsync(
                async () => await Find(coordinator, "n1") is { } listed && listed["functions"]!.AsArray().Count > 0,
                TimeSpan.FromSeconds(30),
                "n1 listed at the coordinator with its heartbeat");
            var n1 = (await Find(coordinator, "n1"))!;
            var local = (await node.Client.GetFromJsonAsync<JsonArray>("/v1/functions"))!;

            await Assert.That(n1["heardFrom"]!.GetValue<bool>()).IsTrue();
            await Assert.That(n1["status"]!.GetValue<string>()).IsEqualTo("online");
            await Assert.That(n1["capabilities"]!.AsArray().Select(c => c!.GetValue<string>())).IsEquivalentTo(new[] { "camera" });

            // Exactly what the node itself lists, descriptors included, in its order.
            await Assert.That(n1["functions"]!.ToJsonString()).IsEqualTo(local.ToJsonString());

            using (var post = await coordinator.Client.PostAsync("/v1/cluster/nodes", new StringContent("""{"id":"spare","capabilities":["gpu"]}""", Encoding.UTF8, "application/json")))
            {
                await Assert.That(post.StatusCode).IsEqualTo(HttpStatusCode.Created);
                var spare = (await post.Content.ReadFromJsonAsync<JsonObject>())!;
                await Assert.That(spare["heardFrom"]!.GetValue<bool>()).IsFalse();
                await Assert.That(spare["functions"]!.AsArray().Count).IsEqualTo(0);
            }

            var ids = (await coordinator.Client.GetFromJsonAsync<JsonArray>("/v1/cluster/nodes"))!.Select(n => n!["id"]!.GetValue<string>()).ToArray();
            await Assert.That(ids.Contains("spare")).IsTrue();
            await Assert.That(ids.Count(id => id == "n1")).IsEqualTo(1);

            // Cluster health counts the remote functions (an in-process cluster of remote nodes would count none).
            var metrics = (await coordinator.Client.GetFromJsonAsync<JsonObject>("/v1/metrics"))!;
            var reported = 0;
            foreach (var entry in (await coordinator.Client.GetFromJsonAsync<JsonArray>("/v1/cluster/nodes"))!)
            {
                reported += entry!["functions"]!.AsArray().Count;
            }

            await Assert.That(reported).IsGreaterThanOrEqualTo(local.Count);
            await Assert.That(metrics["cluster"]!["totalFunctions"]!.GetValue<int>()).IsGreaterThanOrEqualTo(local.Count);

            using var delete = await coordinator.Client.DeleteAsync("/v1/cluster/nodes/spare");
            await Assert.That(delete.StatusCode).IsEqualTo(HttpStatusCode.NoContent);
            await Assert.That(await Find(coordinator, "spare")).IsNull();
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<JsonObject?> Find(ChildHost coordinator, string id)
    {
        try
        {
            var nodes = await coordinator.Client.GetFromJsonAsync<JsonArray>("/v1/cluster/nodes");
            return nodes!.Select(n => n!.AsObject()).FirstOrDefault(n => n["id"]!.GetValue<string>() == id);
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }
}
