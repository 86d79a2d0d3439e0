namespace Edge.Runtime;

/// <summary>Counts of a cluster's nodes by state.</summary>
public sealed record ClusterHealth(
    int TotalNodes,
    int Online,
    int Offline,
    int Degraded,
    int Syncing,
    int Maintenance,
    int Draining,
    int TotalFunctions)
{
    /// <summary>Percentage of nodes Online (100 for an empty cluster).</summary>
    public double HealthyPercent => TotalNodes == 0 ? 100.0 : 100.0 * Online / TotalNodes;
}

/// <summary>
/// A registry of edge nodes, each with its own <see cref="EdgeRuntime"/>, with fleet-wide deployment, draining and
/// stale-node detection. Thread-safe: the host reads and writes it from request threads and the MQTT loop.
/// </summary>
public sealed class EdgeCluster
{
    private readonly Lock _lock = new();
    // Ordered: ListNodes promises registration order, which a Dictionary loses once a removed slot is reused.
    private readonly OrderedDictionary<string, Member> _members = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    /// <summary>Creates an empty cluster.</summary>
    public EdgeCluster(TimeProvider? timeProvider = null)
    {
        _time = timeProvider ?? TimeProvider.System;
        Metrics = new EdgeMetrics();
    }

    /// <summary>Metrics shared by every node's runtime (per-node figures come from the node id).</summary>
    public EdgeMetrics Metrics { get; }

    /// <summary>How many nodes are registered.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _members.Count;
            }
        }
    }

    /// <summary>Adds <paramref name="n"/> (replacing a node with the same id and its runtime) and stamps its heartbeat.</summary>
    public void RegisterNode(EdgeNode n)
    {
        ArgumentNullException.ThrowIfNull(n);
        lock (_lock)
        {
            n.LastHeartbeat = _time.GetUtcNow();
            _members[n.Id] = new Member(n, new EdgeRuntime(n, Metrics, _time));
        }
    }

    /// <summary>Removes a node. Returns false when it was not registered.</summary>
    public bool DeregisterNode(string id)
    {
        lock (_lock)
        {
            return _members.Remove(id);
        }
    }

    /// <summary>
    /// Records a heartbeat: the timestamp becomes now and the status <paramref name="status"/> (Online when null; a
    /// draining node stays in Maintenance). An unknown id is a no-op, as in the reference module.
    /// </summary>
    /// <returns>True when the node is registered and was updated; false (nothing changed) for an unknown id.</returns>
    public bool Heartbeat(string id, EdgeNodeStatus? status = null)
    {
        lock (_lock)
        {
            if (_members.GetValueOrDefault(id) is not { } member)
            {
                return false;
            }

            member.Node.LastHeartbeat = _time.GetUtcNow();
            member.Node.Status = member.Draining ? EdgeNodeStatus.Maintenance : status ?? EdgeNodeStatus.Online;
            return true;
        }
    }

    /// <summary>The node with <paramref name="id"/>, or null.</summary>
    public EdgeNode? GetNode(string id)
    {
        lock (_lock)
        {
            return _members.GetValueOrDefault(id)?.Node;
        }
    }

    /// <summary>The runtime of node <paramref name="id"/>, or null.</summary>
    public EdgeRuntime? GetRuntime(string id)
    {
        lock (_lock)
        {
            return _members.GetValueOrDefault(id)?.Runtime;
        }
    }

    /// <summary>The registered nodes in registration order (a re-registered id keeps its place), optionally only those in <paramref name="status"/>.</summary>
    public IReadOnlyList<EdgeNode> ListNodes(EdgeNodeStatus? status = null)
    {
        lock (_lock)
        {
            var result = new List<EdgeNode>(status is null ? _members.Count : 16);
            foreach (var member in _members.Values)
            {
                if (status is null || member.Node.Status == status)
                {
                    result.Add(member.Node);
                }
            }

            return result;
        }
    }

    /// <summary>Deploys <paramref name="f"/> to every node that is not Offline or draining and has its required capabilities.</summary>
    /// <returns>How many nodes it was deployed to.</returns>
    public int DeployToAll(EdgeFunction f)
    {
        ArgumentNullException.ThrowIfNull(f);
        lock (_lock)
        {
            var deployed = 0;
            foreach (var member in _members.Values)
            {
                if (member.Accepts(f))
                {
                    member.Runtime.Deploy(f);
                    deployed++;
                }
            }

            return deployed;
        }
    }

    /// <summary>Deploys <paramref name="f"/> to the eligible node running the fewest functions (ties: lowest id).</summary>
    /// <returns>The chosen node's id, or null when no node is eligible.</returns>
    public string? DeployLeastLoaded(EdgeFunction f)
    {
        ArgumentNullException.ThrowIfNull(f);
        lock (_lock)
        {
            Member? best = null;
            foreach (var member in _members.Values)
            {
                if (!member.Accepts(f))
                {
                    continue;
                }

                if (best is null
                    || member.Runtime.FunctionCount < best.Runtime.FunctionCount
                    || (member.Runtime.FunctionCount == best.Runtime.FunctionCount
                        && string.CompareOrdinal(member.Node.Id, best.Node.Id) < 0))
                {
                    best = member;
                }
            }

            best?.Runtime.Deploy(f);
            return best?.Node.Id;
        }
    }

    /// <summary>Removes a function from every node. Returns from how many it was removed.</summary>
    public int UndeployFromAll(string functionId)
    {
        lock (_lock)
        {
            var removed = 0;
            foreach (var member in _members.Values)
            {
                if (member.Runtime.Undeploy(functionId))
                {
                    removed++;
                }
            }

            return removed;
        }
    }

    /// <summary>Takes a node out of rotation: status Maintenance, no new deployments. False when unknown.</summary>
    public bool DrainNode(string id)
    {
        lock (_lock)
        {
            if (_members.GetValueOrDefault(id) is not { } member)
            {
                return false;
            }

            member.Draining = true;
            member.Node.Status = EdgeNodeStatus.Maintenance;
            return true;
        }
    }

    /// <summary>Returns a drained node to rotation (status Online). False when unknown or not draining.</summary>
    public bool UndrainNode(string id)
    {
        lock (_lock)
        {
            if (_members.GetValueOrDefault(id) is not { Draining: true } member)
            {
                return false;
            }

            member.Draining = false;
            member.Node.Status = EdgeNodeStatus.Online;
            return true;
        }
    }

    /// <summary>True when the node is drained.</summary>
    public bool IsDraining(string id)
    {
        lock (_lock)
        {
            return _members.GetValueOrDefault(id)?.Draining ?? false;
        }
    }

    /// <summary>Ids of nodes, not already Offline, whose last heartbeat is older than <paramref name="timeout"/>.</summary>
    public IReadOnlyList<string> DetectStaleNodes(TimeSpan timeout)
    {
        lock (_lock)
        {
            var cutoff = _time.GetUtcNow() - timeout;
            var stale = new List<string>();
            foreach (var member in _members.Values)
            {
                if (member.Node.Status != EdgeNodeStatus.Offline && member.Node.LastHeartbeat < cutoff)
                {
                    stale.Add(member.Node.Id);
                }
            }

            return stale;
        }
    }

    /// <summary>Marks stale nodes (see <see cref="DetectStaleNodes"/>) Offline. Returns how many changed.</summary>
    public int AutoHeal(TimeSpan timeout)
    {
        lock (_lock)
        {
            var stale = DetectStaleNodes(timeout);
            foreach (var id in stale)
            {
                _members[id].Node.Status = EdgeNodeStatus.Offline;
            }

            return stale.Count;
        }
    }

    /// <summary>Counts of nodes by state and of deployed functions.</summary>
    public ClusterHealth Health()
    {
        lock (_lock)
        {
            int online = 0, offline = 0, degraded = 0, syncing = 0, maintenance = 0, draining = 0, functions = 0;
            foreach (var member in _members.Values)
            {
                switch (member.Node.Status)
                {
                    case EdgeNodeStatus.Online: online++; break;
                    case EdgeNodeStatus.Offline: offline++; break;
                    case EdgeNodeStatus.Degraded: degraded++; break;
                    case EdgeNodeStatus.Syncing: syncing++; break;
                    case EdgeNodeStatus.Maintenance: maintenance++; break;
                }

                draining += member.Draining ? 1 : 0;
                functions += member.Runtime.FunctionCount;
            }

            return new ClusterHealth(_members.Count, online, offline, degraded, syncing, maintenance, draining, functions);
        }
    }

    private sealed class Member(EdgeNode node, EdgeRuntime runtime)
    {
        public EdgeNode Node { get; } = node;

        public EdgeRuntime Runtime { get; } = runtime;

        public bool Draining { get; set; }

        public bool Accepts(EdgeFunction f) =>
            !Draining && Node.Status is not (EdgeNodeStatus.Offline or EdgeNodeStatus.Maintenance) && f.CanRunOn(Node);
    }
}
