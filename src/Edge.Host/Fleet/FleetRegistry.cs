using Edge.Runtime;

namespace Edge.Host.Fleet;

/// <summary>
/// The coordinator's registry of remote nodes: what their heartbeats and presence messages said, and what operators
/// registered over HTTP. Unlike the runtime's <see cref="EdgeCluster"/> (the spec's in-process cluster, which gives
/// every node a runtime to deploy into) it holds no runtimes: remote functions are the descriptors the nodes reported.
/// Thread-safe; every status change goes through it, under its one lock, and entries are immutable.
/// </summary>
/// <param name="timeProvider">The clock for last-seen times and the offline sweep.</param>
public sealed class FleetRegistry(TimeProvider? timeProvider = null)
{
    private readonly Lock _lock = new();
    private readonly OrderedDictionary<string, FleetNode> _nodes = new(StringComparer.Ordinal);
    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;

    /// <summary>Nodes listed.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _nodes.Count;
            }
        }
    }

    /// <summary>The node with <paramref name="id"/>, or null.</summary>
    public FleetNode? GetNode(string id)
    {
        lock (_lock)
        {
            return _nodes.GetValueOrDefault(id);
        }
    }

    /// <summary>The nodes in the order they were first listed, optionally only those with <paramref name="status"/>.</summary>
    public IReadOnlyList<FleetNode> ListNodes(EdgeNodeStatus? status = null)
    {
        lock (_lock)
        {
            var list = new List<FleetNode>(_nodes.Count);
            foreach (var node in _nodes.Values)
            {
                if (status is null || node.Status == status)
                {
                    list.Add(node);
                }
            }

            return list;
        }
    }

    /// <summary>
    /// Records a heartbeat: <paramref name="report"/> is what the node said (identity, status, functions, versions). Its
    /// operator metadata is kept; it is now heard from and seen now. A node that calls itself Offline while it still
    /// sends heartbeats is Online.
    /// </summary>
    /// <returns>The status change, if its status changed (or it was not listed).</returns>
    public FleetStatusChange? Observe(FleetNode report)
    {
        ArgumentNullException.ThrowIfNull(report);
        lock (_lock)
        {
            var before = _nodes.GetValueOrDefault(report.Id);
            var status = report.Status == EdgeNodeStatus.Offline ? EdgeNodeStatus.Online : report.Status;
            _nodes[report.Id] = report with
            {
                Status = status,
                Metadata = before?.Metadata ?? report.Metadata,
                LastSeen = _time.GetUtcNow(),
                HeardFrom = true,
            };
            return Changed(report.Id, before?.Status, status);
        }
    }

    /// <summary>
    /// Records a presence message (the retained <c>status</c> topic, or a last will saying Offline). A node never seen
    /// is listed under its id. Offline does not count as being seen: the last-seen time stays that of its last word.
    /// </summary>
    /// <returns>The status change, if any.</returns>
    public FleetStatusChange? ObservePresence(string id, EdgeNodeStatus status)
    {
        lock (_lock)
        {
            var before = _nodes.GetValueOrDefault(id);
            var now = _time.GetUtcNow();
            var node = before ?? new FleetNode(id, id, "", status, [], [], now, HeardFrom: true, []);
            _nodes[id] = status == EdgeNodeStatus.Offline
                ? node with { Status = status, HeardFrom = true }
                : node with { Status = status, HeardFrom = true, LastSeen = now };
            return Changed(id, before?.Status, status);
        }
    }

    /// <summary>
    /// Lists (or replaces the identity of) a node an operator registered over HTTP. A node not heard from yet is marked
    /// so (<see cref="FleetNode.HeardFrom"/> false); what an already heard node reported (functions, versions) is kept.
    /// </summary>
    /// <returns>The entry now listed.</returns>
    public FleetNode Register(string id, string name, string location, IReadOnlyList<string> capabilities, System.Text.Json.Nodes.JsonObject metadata, EdgeNodeStatus status)
    {
        lock (_lock)
        {
            var before = _nodes.GetValueOrDefault(id);
            var node = new FleetNode(id, name, location, status, [.. capabilities], metadata, _time.GetUtcNow(), before?.HeardFrom ?? false, before?.Functions ?? [])
            {
                LocalVersion = before?.LocalVersion ?? 0,
                RemoteVersion = before?.RemoteVersion ?? 0,
                Pending = before?.Pending ?? 0,
                InFlight = before?.InFlight ?? 0,
            };
            _nodes[id] = node;
            return node;
        }
    }

    /// <summary>A heartbeat given over HTTP: seen now, with <paramref name="status"/> (Online when null).</summary>
    /// <returns>The entry, or null for an unknown id (nothing changes).</returns>
    public FleetNode? Heartbeat(string id, EdgeNodeStatus? status = null)
    {
        lock (_lock)
        {
            if (!_nodes.TryGetValue(id, out var node))
            {
                return null;
            }

            node = node with { Status = status ?? EdgeNodeStatus.Online, LastSeen = _time.GetUtcNow() };
            _nodes[id] = node;
            return node;
        }
    }

    /// <summary>Removes a node; its next heartbeat lists it again.</summary>
    /// <returns>False for an unknown id.</returns>
    public bool Deregister(string id)
    {
        lock (_lock)
        {
            return _nodes.Remove(id);
        }
    }

    /// <summary>Marks every node not Offline whose last-seen time is older than <paramref name="timeout"/> Offline.</summary>
    /// <returns>The nodes it marked, in listing order.</returns>
    public IReadOnlyList<FleetStatusChange> Sweep(TimeSpan timeout)
    {
        lock (_lock)
        {
            var cutoff = _time.GetUtcNow() - timeout;
            List<FleetStatusChange>? changed = null;
            for (var i = 0; i < _nodes.Count; i++)
            {
                var node = _nodes.GetAt(i).Value;
                if (node.Status != EdgeNodeStatus.Offline && node.LastSeen < cutoff)
                {
                    _nodes.SetAt(i, node with { Status = EdgeNodeStatus.Offline });
                    (changed ??= []).Add(new FleetStatusChange(node.Id, node.Status, EdgeNodeStatus.Offline));
                }
            }

            return changed ?? (IReadOnlyList<FleetStatusChange>)[];
        }
    }

    /// <summary>Counts of nodes by status and of the functions they reported.</summary>
    public ClusterHealth Health()
    {
        lock (_lock)
        {
            int online = 0, offline = 0, degraded = 0, syncing = 0, maintenance = 0, functions = 0;
            foreach (var node in _nodes.Values)
            {
                switch (node.Status)
                {
                    case EdgeNodeStatus.Online: online++; break;
                    case EdgeNodeStatus.Offline: offline++; break;
                    case EdgeNodeStatus.Degraded: degraded++; break;
                    case EdgeNodeStatus.Syncing: syncing++; break;
                    case EdgeNodeStatus.Maintenance: maintenance++; break;
                }

                functions += node.Functions.Count;
            }

            return new ClusterHealth(_nodes.Count, online, offline, degraded, syncing, maintenance, 0, functions);
        }
    }

    private static FleetStatusChange? Changed(string id, EdgeNodeStatus? before, EdgeNodeStatus after) =>
        before == after ? null : new FleetStatusChange(id, before, after);
}
