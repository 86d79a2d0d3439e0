namespace Edge.Host.Mqtt;

/// <summary>The topic tree: <c>{prefix}/{nodeId}/{leaf}</c>. See README.md beside this file.</summary>
public sealed class MqttTopics
{
    /// <summary>Retained latest SyncState.</summary>
    public const string StateLeaf = "state";

    /// <summary>QoS 1 pending changes in version order.</summary>
    public const string ChangesLeaf = "changes";

    /// <summary>Desired SyncState from the cloud (node subscribes).</summary>
    public const string DesiredLeaf = "desired";

    /// <summary>What the node did with a desired state.</summary>
    public const string DesiredResultLeaf = "desired/result";

    /// <summary>Periodic heartbeat.</summary>
    public const string HeartbeatLeaf = "heartbeat";

    /// <summary>Retained presence (Online / Offline, last will).</summary>
    public const string StatusLeaf = "status";

    /// <summary>Deployment intents (node subscribes).</summary>
    public const string DeployLeaf = "deploy";

    /// <summary>What the node did with a deployment intent.</summary>
    public const string DeployResultLeaf = "deploy/result";

    /// <summary>Creates the topic tree under <paramref name="prefix"/>.</summary>
    public MqttTopics(string prefix)
    {
        if (MqttOptions.ValidatePrefix(prefix) is { } error)
        {
            throw new ArgumentException(error, nameof(prefix));
        }

        Prefix = prefix;
    }

    /// <summary>The prefix.</summary>
    public string Prefix { get; }

    /// <summary>Topic <c>{prefix}/{nodeId}/{leaf}</c>.</summary>
    public string For(string nodeId, string leaf) => $"{Prefix}/{nodeId}/{leaf}";

    /// <summary>Filter <c>{prefix}/+/{leaf}</c>: that leaf of every node.</summary>
    public string AllNodes(string leaf) => $"{Prefix}/+/{leaf}";

    /// <summary>Splits <c>{prefix}/{nodeId}/{leaf}</c>; false for topics outside the tree.</summary>
    public bool TryParse(string topic, out string nodeId, out string leaf)
    {
        nodeId = "";
        leaf = "";
        if (topic.Length <= Prefix.Length + 1 || !topic.StartsWith(Prefix, StringComparison.Ordinal) || topic[Prefix.Length] != '/')
        {
            return false;
        }

        var rest = topic.AsSpan(Prefix.Length + 1);
        var slash = rest.IndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1)
        {
            return false;
        }

        nodeId = rest[..slash].ToString();
        leaf = rest[(slash + 1)..].ToString();
        return true;
    }

    /// <summary>Null when <paramref name="nodeId"/> can be a topic level, else why not (the rule of <see cref="Node.NodeIds"/>).</summary>
    public static string? ValidateNodeId(string nodeId) => Node.NodeIds.Validate(nodeId);
}
