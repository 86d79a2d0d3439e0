using System.Text.Json.Nodes;
using Edge.Runtime;

namespace Edge.Runtime.Tests.Cluster;

public class EdgeNodeTests
{
    [Test]
    public async Task Defaults_match_the_spec()
    {
        var before = DateTimeOffset.UtcNow;
        var node = new EdgeNode("edge-01", "warehouse-sensor");

        await Assert.That(node.Id).IsEqualTo("edge-01");
        await Assert.That(node.Name).IsEqualTo("warehouse-sensor");
        await Assert.That(node.Location).IsEqualTo("");
        await Assert.That(node.Status).IsEqualTo(EdgeNodeStatus.Online);
        await Assert.That(node.Capabilities.Count).IsEqualTo(0);
        await Assert.That(node.Metadata.Count).IsEqualTo(0);
        await Assert.That(node.LastHeartbeat).IsGreaterThanOrEqualTo(before);
        await Assert.That(node.LastHeartbeat.Offset).IsEqualTo(TimeSpan.Zero);
    }

    [Test]
    public async Task Init_and_mutable_members()
    {
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var node = new EdgeNode("edge-02", "cam")
        {
            Location = "dock 4",
            Capabilities = ["gpu", "camera"],
            Metadata = new JsonObject { ["rack"] = 7 },
        };

        node.Status = EdgeNodeStatus.Degraded;
        node.LastHeartbeat = at;
        node.Capabilities.Add("lidar");

        await Assert.That(node.Location).IsEqualTo("dock 4");
        await Assert.That(node.Status).IsEqualTo(EdgeNodeStatus.Degraded);
        await Assert.That(node.LastHeartbeat).IsEqualTo(at);
        await Assert.That(node.Metadata["rack"]!.GetValue<int>()).IsEqualTo(7);
        await Assert.That(node.HasCapability("lidar")).IsTrue();
    }

    [Test]
    public async Task HasCapability_is_ordinal_case_insensitive()
    {
        var node = new EdgeNode("n", "n") { Capabilities = ["GPU", "camera"] };

        await Assert.That(node.HasCapability("gpu")).IsTrue();
        await Assert.That(node.HasCapability("Camera")).IsTrue();
        await Assert.That(node.HasCapability("cam")).IsFalse();
        await Assert.That(node.HasCapability("")).IsFalse();
    }

    [Test]
    [Arguments("")]
    [Arguments("  ")]
    public async Task Empty_id_is_rejected(string id)
    {
        await Assert.That(() => new EdgeNode(id, "n")).Throws<ArgumentException>();
    }

    [Test]
    public async Task Null_id_or_name_is_rejected()
    {
        await Assert.That(() => new EdgeNode(null!, "n")).Throws<ArgumentNullException>();
        await Assert.That(() => new EdgeNode("n", null!)).Throws<ArgumentNullException>();
    }

    [Test]
    public async Task Status_has_the_spec_values_plus_maintenance()
    {
        await Assert.That(Enum.GetNames<EdgeNodeStatus>()).IsEquivalentTo(
            new[] { "Online", "Offline", "Degraded", "Syncing", "Maintenance" },
            TUnit.Assertions.Enums.CollectionOrdering.Matching);
    }
}
