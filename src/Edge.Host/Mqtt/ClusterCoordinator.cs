using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Edge.Host.Fleet;
using Edge.Host.Functions;
using Edge.Host.Metrics;
using Edge.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edge.Host.Mqtt;

/// <summary>
/// The coordinator role: keeps a <see cref="FleetRegistry"/> from the fleet's heartbeats and presence messages, marks
/// nodes Offline on their last will or on heartbeat timeout, and pushes desired states and deployment intents.
/// </summary>
public sealed partial class ClusterCoordinator : IHostedService, IAsyncDisposable
{
    private readonly FleetRegistry _registry;
    private readonly MqttOptions _options;
    private readonly TimeProvider _time;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly IMqttTransport _transport;
    private readonly bool _ownsTransport;
    private readonly ILogger _logger;
    private readonly MqttTopics _topics;
    private readonly MqttConnectionLoop _connection;
    private readonly string _clientId;
    private readonly ConcurrentDictionary<string, HeartbeatMessage> _heartbeats = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DeployResult> _deployResults = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DesiredResult> _desiredResults = new(StringComparer.Ordinal);
    private CancellationTokenSource? _stopping;
    private ITimer? _sweeper;
    private Task _loop = Task.CompletedTask;
    private long _sweepNotBeforeTicks = long.MaxValue;
    private long _heartbeatsReceived;
    private long _rejectedMalformed;
    private long _rejectedOversize;
    private long _lastWills;
    private long _timedOut;
    private long _desiredSent;
    private long _deploySent;

    /// <summary>Creates a coordinator; nothing connects before <see cref="StartAsync"/>.</summary>
    /// <param name="registry">The registry to fill (the one the host exposes under /v1/cluster/nodes on a coordinator).</param>
    /// <param name="options">Validated MQTT options (<see cref="MqttOptions.OfflineTimeout"/> is the heartbeat timeout).</param>
    /// <param name="clientId">MQTT client id; <c>{ClientId or "edge"}-coordinator</c> when null, so it can share a process with a node agent.</param>
    /// <param name="timeProvider">Clock for the timeout sweep (the registry should use the same one).</param>
    /// <param name="transport">The transport; an <see cref="MqttNetTransport"/> over <paramref name="options"/> when null.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="meterFactory">Makes the meter of the coordinator's instruments (the host's); a meter of its own when null.</param>
    public ClusterCoordinator(
        FleetRegistry registry,
        MqttOptions options,
        string? clientId = null,
        TimeProvider? timeProvider = null,
        IMqttTransport? transport = null,
        ILogger<ClusterCoordinator>? logger = null,
        IMeterFactory? meterFactory = null)
    {
        _registry = registry ?? throw new ArgumentNullException(nameof(registry));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Validate() is { } error)
        {
            throw new ArgumentException(error, nameof(options));
        }

        _clientId = clientId ?? (string.IsNullOrWhiteSpace(options.ClientId) ? "edge" : options.ClientId) + "-coordinator";
        _time = timeProvider ?? TimeProvider.System;
        _ownsTransport = transport is null;
        _transport = transport ?? new MqttNetTransport(options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _ownsMeter = meterFactory is null;
        _meter = Measurements.Create(meterFactory, MeterName);
        _topics = new MqttTopics(options.TopicPrefix);
        _connection = new MqttConnectionLoop(
            _transport,
            options,
            _time,
            () => new MqttConnectRequest(_clientId, SessionExpiry: TimeSpan.Zero),
            OnConnectedAsync,
            _logger);
        _transport.ConnectionLost += _connection.OnConnectionLost;
        _transport.MessageReceived += OnMessageAsync;
        CreateInstruments(_meter);
    }

    /// <summary>The name of the coordinator's meter.</summary>
    public const string MeterName = "Edge.Mqtt.Coordinator";

    /// <summary>Raised when the coordinator changes a node's status (id, new status).</summary>
    public event Action<string, EdgeNodeStatus>? NodeStatusChanged;

    /// <summary>The registry.</summary>
    public FleetRegistry Registry => _registry;

    /// <summary>The topic tree.</summary>
    public MqttTopics Topics => _topics;

    /// <summary>True while connected to the broker.</summary>
    public bool IsConnected => _connection.IsConnected;

    /// <summary>Heartbeats accepted.</summary>
    public long HeartbeatsReceived => Interlocked.Read(ref _heartbeatsReceived);

    /// <summary>Heartbeat/status/result messages rejected as malformed (bad JSON, or a node id that is not the topic's).</summary>
    public long RejectedMalformed => Interlocked.Read(ref _rejectedMalformed);

    /// <summary>Messages over <see cref="MqttOptions.MaxMessageBytes"/>.</summary>
    public long RejectedOversize => Interlocked.Read(ref _rejectedOversize);

    /// <summary>Nodes marked Offline by a last will (or an Offline status).</summary>
    public long LastWills => Interlocked.Read(ref _lastWills);

    /// <summary>Nodes marked Offline by the heartbeat timeout.</summary>
    public long TimedOut => Interlocked.Read(ref _timedOut);

    /// <summary>The latest heartbeat of <paramref name="nodeId"/> (functions, load, versions), or null.</summary>
    public HeartbeatMessage? LastHeartbeat(string nodeId) => _heartbeats.GetValueOrDefault(nodeId);

    /// <summary>The latest deployment result reported by <paramref name="nodeId"/>, or null.</summary>
    public DeployResult? LastDeployResult(string nodeId) => _deployResults.GetValueOrDefault(nodeId);

    /// <summary>The latest desired-state result reported by <paramref name="nodeId"/>, or null.</summary>
    public DesiredResult? LastDesiredResult(string nodeId) => _desiredResults.GetValueOrDefault(nodeId);

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_stopping is not null)
        {
            throw new InvalidOperationException("The coordinator is already started.");
        }

        _stopping = new CancellationTokenSource();
        var ct = _stopping.Token;
        var period = TimeSpan.FromTicks(Math.Clamp(_options.OfflineTimeout.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(1).Ticks));
        _sweeper = _time.CreateTimer(static s => ((ClusterCoordinator)s!).Sweep(), this, period, period);
        _loop = Task.Run(() => _connection.RunAsync(ct), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is null || _stopping.IsCancellationRequested)
        {
            return;
        }

        if (_sweeper is not null)
        {
            await _sweeper.DisposeAsync().ConfigureAwait(false);
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        if (_transport.IsConnected)
        {
            try
            {
                await _transport.DisconnectAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogFailed(_logger, "disconnect", ex.Message);
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _transport.MessageReceived -= OnMessageAsync;
        _transport.ConnectionLost -= _connection.OnConnectionLost;
        if (_ownsTransport)
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
        }

        _stopping?.Dispose();
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    /// <summary>
    /// Marks nodes not heard from for <see cref="MqttOptions.OfflineTimeout"/> Offline (<see cref="FleetRegistry.Sweep"/>).
    /// Runs on a timer; skipped while disconnected and for one timeout after (re)connecting, so the coordinator's own
    /// outage does not mark the fleet Offline.
    /// </summary>
    /// <returns>How many nodes it marked Offline.</returns>
    public int Sweep()
    {
        if (!_connection.IsConnected || _time.GetUtcNow().UtcTicks < Interlocked.Read(ref _sweepNotBeforeTicks))
        {
            return 0;
        }

        var changes = _registry.Sweep(_options.OfflineTimeout);
        Interlocked.Add(ref _timedOut, changes.Count);
        foreach (var change in changes)
        {
            LogOffline(_logger, change.NodeId, "heartbeat timeout");
            NodeStatusChanged?.Invoke(change.NodeId, EdgeNodeStatus.Offline);
        }

        return changes.Count;
    }

    /// <summary>Sends <paramref name="state"/> to node <paramref name="nodeId"/>'s <c>desired</c> topic (QoS 1).</summary>
    /// <returns>Nodes sent to: none when the node is unknown.</returns>
    /// <exception cref="InvalidOperationException">Not connected to the broker.</exception>
    public Task<FleetSendResult> SendDesiredAsync(string nodeId, SyncState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        var targets = _registry.GetNode(nodeId) is null ? [] : new[] { nodeId };
        return SendAsync(targets, MqttTopics.DesiredLeaf, MqttJson.Serialize(SyncStateMessage.From(state), MqttJsonContext.Default.SyncStateMessage), desired: true, cancellationToken);
    }

    /// <summary>Sends <paramref name="state"/> to every node not Offline that has <paramref name="capability"/>.</summary>
    public Task<FleetSendResult> SendDesiredToCapabilityAsync(string capability, SyncState state, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(state);
        return SendAsync(Targets(null, capability), MqttTopics.DesiredLeaf, MqttJson.Serialize(SyncStateMessage.From(state), MqttJsonContext.Default.SyncStateMessage), desired: true, cancellationToken);
    }

    /// <summary>
    /// Sends a deployment intent to one node (<paramref name="nodeId"/>), to every node not Offline with
    /// <paramref name="capability"/>, or (both null) to every node not Offline.
    /// </summary>
    /// <exception cref="ArgumentException">Empty function id or an action other than deploy/undeploy.</exception>
    public Task<FleetSendResult> SendDeployAsync(string functionId, string action, string? nodeId = null, string? capability = null, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrWhiteSpace(functionId))
        {
            throw new ArgumentException("functionId must not be empty.", nameof(functionId));
        }

        if (action is not ("deploy" or "undeploy"))
        {
            throw new ArgumentException($"action must be 'deploy' or 'undeploy', got '{action}'.", nameof(action));
        }

        var payload = MqttJson.Serialize(new DeployIntent { FunctionId = functionId, Action = action }, MqttJsonContext.Default.DeployIntent);
        return SendAsync(Targets(nodeId, capability), MqttTopics.DeployLeaf, payload, desired: false, cancellationToken);
    }

    /// <summary>The coordinator's counters as <see cref="System.Diagnostics.Metrics"/> instruments (names <c>edge_coordinator_*</c>).</summary>
    private void CreateInstruments(Meter meter)
    {
        meter.CreateObservableGauge("edge_coordinator_connected", () => IsConnected ? 1 : 0, description: "1 when the coordinator is connected to the MQTT broker.");
        meter.CreateObservableCounter("edge_coordinator_reconnects_total", () => _connection.Reconnects, description: "Successful coordinator reconnections after the first connection.");
        meter.CreateObservableGauge(
            "edge_coordinator_nodes",
            () => _registry.Health() is var h
                ? Measurements.By("status", ("online", h.Online), ("offline", h.Offline), ("degraded", h.Degraded), ("syncing", h.Syncing), ("maintenance", h.Maintenance))
                : [],
            description: "Fleet nodes by status.");
        meter.CreateObservableCounter("edge_coordinator_heartbeats_total", () => HeartbeatsReceived, description: "Heartbeats accepted.");
        meter.CreateObservableCounter(
            "edge_coordinator_offline_total",
            () => Measurements.By("cause", ("last_will", LastWills), ("heartbeat_timeout", TimedOut)),
            description: "Nodes marked Offline, by cause.");
        meter.CreateObservableCounter(
            "edge_coordinator_rejected_total",
            () => Measurements.By("reason", ("malformed", RejectedMalformed), ("oversize", RejectedOversize)),
            description: "Inbound messages rejected, by reason.");
        meter.CreateObservableCounter(
            "edge_coordinator_sent_total",
            () => Measurements.By("kind", ("desired", Interlocked.Read(ref _desiredSent)), ("deploy", Interlocked.Read(ref _deploySent))),
            description: "Messages sent to nodes, by kind.");
    }

    /// <summary>Validates and applies one inbound message (heartbeat, status, results). Never throws for bad input.</summary>
    internal void Handle(MqttIncomingMessage message)
    {
        if (!_topics.TryParse(message.Topic, out var nodeId, out var leaf)
            || leaf is not (MqttTopics.HeartbeatLeaf or MqttTopics.StatusLeaf or MqttTopics.DeployResultLeaf or MqttTopics.DesiredResultLeaf))
        {
            return;
        }

        if (message.IsOversize || message.Payload.Length > _options.MaxMessageBytes)
        {
            Interlocked.Increment(ref _rejectedOversize);
            return;
        }

        if (message.Payload.IsEmpty)
        {
            return;
        }

        if (MqttTopics.ValidateNodeId(nodeId) is not null)
        {
            Interlocked.Increment(ref _rejectedMalformed);
            return;
        }

        var error = "";
        var ok = leaf switch
        {
            MqttTopics.HeartbeatLeaf => OnHeartbeat(nodeId, MqttJson.TryRead(message.Payload.Span, MqttJsonContext.Default.HeartbeatMessage, _options.MaxJsonDepth, out error)),
            MqttTopics.StatusLeaf => OnStatus(nodeId, MqttJson.TryRead(message.Payload.Span, MqttJsonContext.Default.StatusMessage, _options.MaxJsonDepth, out error)),
            MqttTopics.DeployResultLeaf => Keep(_deployResults, nodeId, MqttJson.TryRead(message.Payload.Span, MqttJsonContext.Default.DeployResult, _options.MaxJsonDepth, out error), r => r.NodeId),
            _ => Keep(_desiredResults, nodeId, MqttJson.TryRead(message.Payload.Span, MqttJsonContext.Default.DesiredResult, _options.MaxJsonDepth, out error), r => r.NodeId),
        };
        if (!ok)
        {
            Interlocked.Increment(ref _rejectedMalformed);
            LogFailed(_logger, message.Topic, error.Length > 0 ? error : "node id does not match the topic");
        }
    }

    private async Task OnConnectedAsync(CancellationToken ct)
    {
        await _transport.SubscribeAsync(
            [
                (_topics.AllNodes(MqttTopics.StatusLeaf), MqttDelivery.AtLeastOnce),
                (_topics.AllNodes(MqttTopics.HeartbeatLeaf), MqttDelivery.AtMostOnce),
                (_topics.AllNodes(MqttTopics.DeployResultLeaf), MqttDelivery.AtLeastOnce),
                (_topics.AllNodes(MqttTopics.DesiredResultLeaf), MqttDelivery.AtLeastOnce),
            ],
            ct).ConfigureAwait(false);
        Interlocked.Exchange(ref _sweepNotBeforeTicks, (_time.GetUtcNow() + _options.OfflineTimeout).UtcTicks);
    }

    private Task OnMessageAsync(MqttIncomingMessage message)
    {
        try
        {
            Handle(message);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogFailed(_logger, message.Topic, ex.Message);
        }

        return Task.CompletedTask;
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
        var change = _registry.Observe(report);
        _heartbeats[nodeId] = heartbeat;
        Interlocked.Increment(ref _heartbeatsReceived);
        if (change is { } c)
        {
            NodeStatusChanged?.Invoke(nodeId, c.After);
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

        if (_registry.ObservePresence(nodeId, status.Status) is not { } change)
        {
            return true;
        }

        if (change.After == EdgeNodeStatus.Offline)
        {
            Interlocked.Increment(ref _lastWills);
            LogOffline(_logger, nodeId, status.Reason.Length > 0 ? status.Reason : "offline status");
        }

        NodeStatusChanged?.Invoke(nodeId, change.After);
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

    private string[] Targets(string? nodeId, string? capability)
    {
        if (!string.IsNullOrEmpty(nodeId))
        {
            var node = _registry.GetNode(nodeId);
            return node is not null && (string.IsNullOrEmpty(capability) || node.HasCapability(capability)) ? [nodeId] : [];
        }

        var targets = new List<string>();
        foreach (var node in _registry.ListNodes())
        {
            if (node.Status != EdgeNodeStatus.Offline && (string.IsNullOrEmpty(capability) || node.HasCapability(capability)))
            {
                targets.Add(node.Id);
            }
        }

        return [.. targets];
    }

    private async Task<FleetSendResult> SendAsync(string[] targets, string leaf, byte[] payload, bool desired, CancellationToken ct)
    {
        if (!_connection.IsConnected)
        {
            throw new InvalidOperationException("The coordinator is not connected to the MQTT broker.");
        }

        foreach (var id in targets)
        {
            // QoS 1: returns once the broker has it; a node that is away gets it from its persistent session on return.
            await _transport.PublishAsync(_topics.For(id, leaf), payload, MqttDelivery.AtLeastOnce, false, ct).ConfigureAwait(false);
            Interlocked.Increment(ref desired ? ref _desiredSent : ref _deploySent);
        }

        return new FleetSendResult(targets.Length, targets);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId} marked Offline: {Cause}")]
    private static partial void LogOffline(ILogger logger, string nodeId, string cause);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Coordinator: {What} failed: {Reason}")]
    private static partial void LogFailed(ILogger logger, string what, string reason);
}
