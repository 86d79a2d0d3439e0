using System.Collections.Concurrent;
using Edge.Host.Fleet;
using Edge.Host.Functions;
using Edge.Runtime;
using Microsoft.Extensions.Logging;

namespace Edge.Host.Mqtt;

/// <summary>
/// The coordinator's registry upkeep: heartbeats and presence of every node go into the <see cref="FleetRegistry"/>
/// (status changes through it), results are kept per node, and nodes silent for the offline timeout are swept Offline.
/// </summary>
internal sealed partial class FleetRegistryHandler(MqttSession session, FleetRegistry registry, MqttOptions options, TimeProvider time, ILogger logger) : MqttHandler
{
    private readonly ConcurrentDictionary<string, HeartbeatMessage> _heartbeats = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DeployResult> _deployResults = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DesiredResult> _desiredResults = new(StringComparer.Ordinal);
    private long _sweepNotBeforeTicks = long.MaxValue;
    private long _heartbeatsReceived;
    private long _rejectedMalformed;
    private long _lastWills;
    private long _timedOut;

    /// <summary>Raised when a node's status changes (heartbeat, presence, last will, timeout).</summary>
    public event Action<string, EdgeNodeStatus>? StatusChanged;

    public long HeartbeatsReceived => Interlocked.Read(ref _heartbeatsReceived);

    public long RejectedMalformed => Interlocked.Read(ref _rejectedMalformed);

    public long LastWills => Interlocked.Read(ref _lastWills);

    public long TimedOut => Interlocked.Read(ref _timedOut);

    public override IReadOnlyList<(string Filter, MqttDelivery Delivery)> Subscriptions { get; } =
    [
        (session.Topics.AllNodes(MqttTopics.StatusLeaf), MqttDelivery.AtLeastOnce),
        (session.Topics.AllNodes(MqttTopics.HeartbeatLeaf), MqttDelivery.AtMostOnce),
        (session.Topics.AllNodes(MqttTopics.DeployResultLeaf), MqttDelivery.AtLeastOnce),
        (session.Topics.AllNodes(MqttTopics.DesiredResultLeaf), MqttDelivery.AtLeastOnce),
    ];

    public HeartbeatMessage? LastHeartbeat(string nodeId) => _heartbeats.GetValueOrDefault(nodeId);

    public DeployResult? LastDeployResult(string nodeId) => _deployResults.GetValueOrDefault(nodeId);

    public DesiredResult? LastDesiredResult(string nodeId) => _desiredResults.GetValueOrDefault(nodeId);

    public override bool Handles(string nodeId, string leaf) =>
        leaf is MqttTopics.HeartbeatLeaf or MqttTopics.StatusLeaf or MqttTopics.DeployResultLeaf or MqttTopics.DesiredResultLeaf;

    public override Task OnConnectedAsync(CancellationToken ct)
    {
        // Heartbeats missed while the coordinator itself was away are no reason to mark the fleet Offline.
        Interlocked.Exchange(ref _sweepNotBeforeTicks, (time.GetUtcNow() + options.OfflineTimeout).UtcTicks);
        return Task.CompletedTask;
    }

    public override Task HandleAsync(MqttIncomingMessage message, string nodeId, string leaf, CancellationToken ct)
    {
        Handle(message, nodeId, leaf);
        return Task.CompletedTask;
    }

    /// <summary>Marks nodes not heard from for the offline timeout Offline; skipped while disconnected and for one timeout after (re)connecting.</summary>
    /// <returns>How many nodes it marked Offline.</returns>
    public int Sweep()
    {
        if (!session.IsConnected || time.GetUtcNow().UtcTicks < Interlocked.Read(ref _sweepNotBeforeTicks))
        {
            return 0;
        }

        var changes = registry.Sweep(options.OfflineTimeout);
        Interlocked.Add(ref _timedOut, changes.Count);
        foreach (var change in changes)
        {
            LogOffline(logger, change.NodeId, "heartbeat timeout");
            StatusChanged?.Invoke(change.NodeId, EdgeNodeStatus.Offline);
        }

        return changes.Count;
    }

    private void Handle(MqttIncomingMessage message, string nodeId, string leaf)
    {
        var error = "";
        var ok = MqttTopics.ValidateNodeId(nodeId) is null && leaf switch
        {
            MqttTopics.HeartbeatLeaf => OnHeartbeat(nodeId, MqttJson.TryRead(message.Payload.Span, MqttJsonContext.Default.HeartbeatMessage, options.MaxJsonDepth, out error)),
            MqttTopics.StatusLeaf => OnStatus(nodeId, MqttJson.TryRead(message.Payload.Span, MqttJsonContext.Default.StatusMessage, options.MaxJsonDepth, out error)),
            MqttTopics.DeployResultLeaf => Keep(_deployResults, nodeId, MqttJson.TryRead(message.Payload.Span, MqttJsonContext.Default.DeployResult, options.MaxJsonDepth, out error), r => r.NodeId),
            _ => Keep(_desiredResults, nodeId, MqttJson.TryRead(message.Payload.Span, MqttJsonContext.Default.DesiredResult, options.MaxJsonDepth, out error), r => r.NodeId),
        };
        if (!ok)
        {
            Interlocked.Increment(ref _rejectedMalformed);
            MqttSession.LogRejected(logger, message.Topic, "malformed", error.Length > 0 ? error : "node id does not match the topic");
        }
    }

    private bool OnHeartbeat(string nodeId, HeartbeatMessage? heartbeat)
    {
        if (heartbeat is null || heartbeat.NodeId != nodeId)
        {
            return false;
        }

        var report = new FleetNode(
            nodeId,
            heartbeat.Name.Length > 0 ? heartbeat.Name : nodeId,
            heartbeat.Location,
            heartbeat.Status,
            [.. heartbeat.Capabilities],
            [],
            heartbeat.Timestamp,
            HeardFrom: true,
            Deployed(heartbeat),
            heartbeat.LocalVersion,
            heartbeat.RemoteVersion,
            heartbeat.Pending,
            heartbeat.InFlight);
        var change = registry.Observe(report);
        _heartbeats[nodeId] = heartbeat;
        Interlocked.Increment(ref _heartbeatsReceived);
        if (change is { } c)
        {
            StatusChanged?.Invoke(nodeId, c.After);
        }

        return true;
    }

    /// <summary>The heartbeat's function descriptors; a node of an earlier release sends only ids.</summary>
    private static FunctionInfo[] Deployed(HeartbeatMessage heartbeat) => heartbeat.Deployed is { } deployed
        ? [.. deployed]
        : [.. (heartbeat.Functions ?? []).Select(id => new FunctionInfo(id, id, 0, 0, []))];

    private bool OnStatus(string nodeId, StatusMessage? status)
    {
        if (status is null || status.NodeId != nodeId)
        {
            return false;
        }

        if (registry.ObservePresence(nodeId, status.Status) is not { } change)
        {
            return true;
        }

        if (change.After == EdgeNodeStatus.Offline)
        {
            Interlocked.Increment(ref _lastWills);
            LogOffline(logger, nodeId, status.Reason.Length > 0 ? status.Reason : "offline status");
        }

        StatusChanged?.Invoke(nodeId, change.After);
        return true;
    }

    private static bool Keep<T>(ConcurrentDictionary<string, T> store, string nodeId, T? value, Func<T, string> idOf)
        where T : class
    {
        if (value is null || idOf(value) != nodeId)
        {
            return false;
        }

        store[nodeId] = value;
        return true;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId} marked Offline: {Cause}")]
    private static partial void LogOffline(ILogger logger, string nodeId, string cause);
}
