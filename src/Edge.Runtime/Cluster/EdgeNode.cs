using System.Text.Json.Nodes;

namespace Edge.Runtime;

/// <summary>Health states of an edge node.</summary>
public enum EdgeNodeStatus
{
    /// <summary>Healthy and accepting work.</summary>
    Online,

    /// <summary>Unreachable: missed heartbeats or left without a clean disconnect.</summary>
    Offline,

    /// <summary>Reachable but impaired.</summary>
    Degraded,

    /// <summary>Catching up with the cloud.</summary>
    Syncing,

    /// <summary>Taken out of rotation on purpose (drained).</summary>
    Maintenance,
}

/// <summary>A physical or virtual edge node.</summary>
/// <param name="id">Unique id.</param>
/// <param name="name">Display name.</param>
public sealed class EdgeNode(string id, string name)
{
    /// <summary>Unique id.</summary>
    public string Id { get; } = ValidId(id);

    /// <summary>Display name.</summary>
    public string Name { get; } = name ?? throw new ArgumentNullException(nameof(name));

    /// <summary>Where the node is.</summary>
    public string Location { get; init; } = "";

    /// <summary>Current health.</summary>
    public EdgeNodeStatus Status { get; set; } = EdgeNodeStatus.Online;

    /// <summary>What the node can do, e.g. <c>gpu</c>, <c>camera</c>.</summary>
    public IList<string> Capabilities { get; init; } = [];

    /// <summary>Free-form metadata.</summary>
    public JsonObject Metadata { get; init; } = [];

    /// <summary>When the node last reported in (UTC).</summary>
    public DateTimeOffset LastHeartbeat { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>True when the node has capability <paramref name="c"/> (ordinal, case-insensitive).</summary>
    public bool HasCapability(string c)
    {
        // Indexed, not foreach: enumerating an IList allocates, and fleet-wide deploys ask once per node.
        var capabilities = Capabilities;
        for (var i = 0; i < capabilities.Count; i++)
        {
            if (string.Equals(capabilities[i], c, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static string ValidId(string id)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(id);
        return id;
    }
}
