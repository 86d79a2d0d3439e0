using System.Text.Json.Nodes;
using Edge.Host.Functions;
using Edge.Runtime;

namespace Edge.Host.Fleet;

/// <summary>
/// What the coordinator knows of one node: the last thing it said (heartbeat or presence) or what an operator
/// registered for it. Immutable: the registry replaces the whole entry on every change.
/// </summary>
/// <param name="Id">Node id (an MQTT topic segment).</param>
/// <param name="Name">Display name.</param>
/// <param name="Location">Where the node is.</param>
/// <param name="Status">Current status (the registry's view: a node silent for the offline timeout is Offline).</param>
/// <param name="Capabilities">What the node can do.</param>
/// <param name="Metadata">Operator metadata given at registration (never changed by heartbeats).</param>
/// <param name="LastSeen">When the coordinator last heard from it (or when it was registered, if never).</param>
/// <param name="HeardFrom">False for a node registered over HTTP that has not sent a heartbeat or presence message yet.</param>
/// <param name="Functions">The functions deployed on it, from its latest heartbeat.</param>
/// <param name="LocalVersion">Its state version, from its latest heartbeat.</param>
/// <param name="RemoteVersion">The highest version its cloud side is known to have, from its latest heartbeat.</param>
/// <param name="Pending">Its unconfirmed changes, from its latest heartbeat.</param>
/// <param name="InFlight">Invocations running on it, from its latest heartbeat.</param>
public sealed record FleetNode(
    string Id,
    string Name,
    string Location,
    EdgeNodeStatus Status,
    IReadOnlyList<string> Capabilities,
    JsonObject Metadata,
    DateTimeOffset LastSeen,
    bool HeardFrom,
    IReadOnlyList<FunctionInfo> Functions,
    long LocalVersion = 0,
    long RemoteVersion = 0,
    int Pending = 0,
    int InFlight = 0)
{
    /// <summary>True when the node reported <paramref name="capability"/>.</summary>
    public bool HasCapability(string capability) => Capabilities.Contains(capability, StringComparer.Ordinal);
}

/// <summary>A status the registry changed, for logs and events.</summary>
/// <param name="NodeId">The node.</param>
/// <param name="Before">Its status before (null: it was not listed).</param>
/// <param name="After">Its status now.</param>
public readonly record struct FleetStatusChange(string NodeId, EdgeNodeStatus? Before, EdgeNodeStatus After);
