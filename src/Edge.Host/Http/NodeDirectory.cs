using System.Text.Json.Nodes;
using Edge.Host.Fleet;
using Edge.Runtime;

namespace Edge.Host.Http;

/// <summary>
/// What the <c>/v1/cluster/nodes</c> routes read and write: on a plain node its in-process <see cref="EdgeCluster"/>;
/// on a coordinator the <see cref="FleetRegistry"/> its heartbeats fill. Inputs are validated by the routes.
/// </summary>
internal interface INodeDirectory
{
    IReadOnlyList<NodeInfo> List(IReadOnlySet<EdgeNodeStatus>? statuses);

    NodeInfo? Get(string id);

    NodeInfo Register(string id, string name, string location, IReadOnlyList<string> capabilities, JsonObject metadata, EdgeNodeStatus status);

    /// <summary>Null for an unknown id.</summary>
    NodeInfo? Heartbeat(string id, EdgeNodeStatus? status);

    bool Deregister(string id);

    ClusterHealth Health();
}

/// <summary>The node's own in-process cluster (the spec's <see cref="EdgeCluster"/>).</summary>
internal sealed class ClusterDirectory(EdgeCluster cluster) : INodeDirectory
{
    public IReadOnlyList<NodeInfo> List(IReadOnlySet<EdgeNodeStatus>? statuses) =>
        [.. cluster.ListNodes().Where(n => statuses is null || statuses.Contains(n.Status)).Select(Info)];

    public NodeInfo? Get(string id) => cluster.GetNode(id) is { } node ? Info(node) : null;

    public NodeInfo Register(string id, string name, string location, IReadOnlyList<string> capabilities, JsonObject metadata, EdgeNodeStatus status)
    {
        var node = new EdgeNode(id, name) { Location = location, Capabilities = [.. capabilities], Metadata = metadata, Status = status };
        cluster.RegisterNode(node);
        return Info(node);
    }

    public NodeInfo? Heartbeat(string id, EdgeNodeStatus? status) =>
        cluster.Heartbeat(id, status) && cluster.GetNode(id) is { } node ? Info(node) : null;

    public bool Deregister(string id) => cluster.DeregisterNode(id);

    public ClusterHealth Health() => cluster.Health();

    private NodeInfo Info(EdgeNode node) => NodeInfo.From(node, cluster.IsDraining(node.Id), cluster.GetRuntime(node.Id));
}

/// <summary>The coordinator's registry of remote nodes, as they reported themselves.</summary>
internal sealed class FleetDirectory(FleetRegistry registry) : INodeDirectory
{
    public IReadOnlyList<NodeInfo> List(IReadOnlySet<EdgeNodeStatus>? statuses) =>
        [.. registry.ListNodes().Where(n => statuses is null || statuses.Contains(n.Status)).Select(NodeInfo.From)];

    public NodeInfo? Get(string id) => registry.GetNode(id) is { } node ? NodeInfo.From(node) : null;

    public NodeInfo Register(string id, string name, string location, IReadOnlyList<string> capabilities, JsonObject metadata, EdgeNodeStatus status) =>
        NodeInfo.From(registry.Register(id, name, location, capabilities, metadata, status));

    public NodeInfo? Heartbeat(string id, EdgeNodeStatus? status) => registry.Heartbeat(id, status) is { } node ? NodeInfo.From(node) : null;

    public bool Deregister(string id) => registry.Deregister(id);

    public ClusterHealth Health() => registry.Health();
}
