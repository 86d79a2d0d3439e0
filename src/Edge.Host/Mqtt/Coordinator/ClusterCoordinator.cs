using System.Diagnostics.Metrics;
using Edge.Host.Fleet;
using Edge.Host.Metrics;
using Edge.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edge.Host.Mqtt;

/// <summary>
/// The coordinator role: one <see cref="MqttSession"/> whose <see cref="FleetRegistryHandler"/> keeps a
/// <see cref="FleetRegistry"/> from the fleet's heartbeats and presence messages (Offline on a last will or heartbeat
/// timeout), and which pushes desired states and deployment intents.
/// </summary>
public sealed class ClusterCoordinator : IHostedService, IAsyncDisposable
{
    /// <summary>The name of the coordinator's meter.</summary>
    public const string MeterName = "Edge.Mqtt.Coordinator";

    private readonly FleetRegistry _registry;
    private readonly MqttOptions _options;
    private readonly TimeProvider _time;
    private readonly MqttSession _session;
    private readonly FleetRegistryHandler _fleet;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private ITimer? _sweeper;
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

        var id = clientId ?? (string.IsNullOrWhiteSpace(options.ClientId) ? "edge" : options.ClientId) + "-coordinator";
        _time = timeProvider ?? TimeProvider.System;
        var log = (ILogger?)logger ?? NullLogger.Instance;

        // Inline: the registry handler only updates memory, so arrival order is kept without a queue.
        _session = new MqttSession(transport, options, _time, () => new MqttConnectRequest(id, SessionExpiry: TimeSpan.Zero), log, inline: true);
        _fleet = new FleetRegistryHandler(_session, registry, options, _time, log);
        _fleet.StatusChanged += (node, status) => NodeStatusChanged?.Invoke(node, status);
        _session.Add(_fleet);
        _ownsMeter = meterFactory is null;
        _meter = Measurements.Create(meterFactory, MeterName);
        CreateInstruments(_meter);
    }

    /// <summary>Raised when a node's status changes (heartbeat, presence, last will, timeout).</summary>
    public event Action<string, EdgeNodeStatus>? NodeStatusChanged;

    /// <summary>The fleet registry this coordinator keeps.</summary>
    public FleetRegistry Registry => _registry;

    /// <summary>The topic tree.</summary>
    public MqttTopics Topics => _session.Topics;

    /// <summary>True while connected to the broker.</summary>
    public bool IsConnected => _session.IsConnected;

    /// <summary>Heartbeats accepted.</summary>
    public long HeartbeatsReceived => _fleet.HeartbeatsReceived;

    /// <summary>Inbound messages that were not valid JSON of their shape (or named another node).</summary>
    public long RejectedMalformed => _fleet.RejectedMalformed;

    /// <summary>Inbound messages over the message limit.</summary>
    public long RejectedOversize => _session.RejectedOversize;

    /// <summary>Nodes marked Offline by their last will (or an Offline status).</summary>
    public long LastWills => _fleet.LastWills;

    /// <summary>Nodes marked Offline by heartbeat timeout.</summary>
    public long TimedOut => _fleet.TimedOut;

    /// <summary>The latest heartbeat of <paramref name="nodeId"/>, or null.</summary>
    public HeartbeatMessage? LastHeartbeat(string nodeId) => _fleet.LastHeartbeat(nodeId);

    /// <summary>The latest deployment result reported by <paramref name="nodeId"/>, or null.</summary>
    public DeployResult? LastDeployResult(string nodeId) => _fleet.LastDeployResult(nodeId);

    /// <summary>The latest desired-state result reported by <paramref name="nodeId"/>, or null.</summary>
    public DesiredResult? LastDesiredResult(string nodeId) => _fleet.LastDesiredResult(nodeId);

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _session.Start();
        var period = TimeSpan.FromTicks(Math.Clamp(_options.OfflineTimeout.Ticks / 4, TimeSpan.FromMilliseconds(50).Ticks, TimeSpan.FromSeconds(1).Ticks));
        _sweeper = _time.CreateTimer(static s => ((ClusterCoordinator)s!).Sweep(), this, period, period);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_sweeper is { } sweeper)
        {
            _sweeper = null;
            await sweeper.DisposeAsync().ConfigureAwait(false);
        }

        await _session.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(false);
        await _session.DisposeAsync().ConfigureAwait(false);
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
    public int Sweep() => _fleet.Sweep();

    /// <summary>Validates and applies one inbound message (heartbeat, status, results). Never throws for bad input.</summary>
    internal Task HandleAsync(MqttIncomingMessage message) => _session.DispatchAsync(message, CancellationToken.None);

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
        meter.CreateObservableCounter("edge_coordinator_reconnects_total", () => _session.Reconnects, description: "Successful coordinator reconnections after the first connection.");
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
        if (!_session.IsConnected)
        {
            throw new InvalidOperationException("The coordinator is not connected to the MQTT broker.");
        }

        foreach (var id in targets)
        {
            // QoS 1: returns once the broker has it; a node that is away gets it from its persistent session on return.
            await _session.PublishAsync(_session.Topics.For(id, leaf), payload, MqttDelivery.AtLeastOnce, false, ct).ConfigureAwait(false);
            Interlocked.Increment(ref desired ? ref _desiredSent : ref _deploySent);
        }

        return new FleetSendResult(targets.Length, targets);
    }
}
