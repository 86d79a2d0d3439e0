using System.Diagnostics.Metrics;
using Edge.Host.Metrics;
using Edge.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edge.Host.Mqtt;

/// <summary>
/// Connects one node to the fleet broker: one <see cref="MqttSession"/> with the node's handlers — presence (retained
/// status, last will), the change publisher (pending changes in version order, each confirmed only after its PUBACK,
/// then the retained state), heartbeats, desired states and deployment intents. With the broker away the node keeps
/// serving and the (durable) synchronizer keeps queueing; on reconnect the queue drains in order.
/// </summary>
/// <remarks>
/// Delivery is at-least-once: a change whose PUBACK was lost with the connection (or whose confirm was lost with the
/// process) is sent again. Receivers apply each version once — they ignore a change whose version they already have.
/// </remarks>
public sealed class NodeSyncAgent : IHostedService, IAsyncDisposable
{
    /// <summary>The name of the agent's meter.</summary>
    public const string MeterName = "Edge.Mqtt.Node";

    /// <summary>Acknowledged changes confirmed in one <see cref="EdgeSynchronizer.ConfirmSyncAsync"/> call at most (one journal write per batch).</summary>
    internal const int ConfirmBatch = 64;

    private readonly MqttSession _session;
    private readonly ChangePublisher _changes;
    private readonly HeartbeatPublisher _heartbeats;
    private readonly DesiredStateHandler _desired;
    private readonly DeployIntentHandler _deploy;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    /// <summary>Creates an agent; nothing connects before <see cref="StartAsync"/>.</summary>
    /// <param name="node">The node (its id is the topic level; its capabilities go into heartbeats).</param>
    /// <param name="runtime">The node's runtime (function count, load; target of deployment intents).</param>
    /// <param name="synchronizer">The node's (durable) synchronizer.</param>
    /// <param name="options">Validated MQTT options.</param>
    /// <param name="timeProvider">Clock for heartbeats and backoff.</param>
    /// <param name="catalog">Looks up a function by id for <c>deploy</c> intents; null refuses every deploy intent.</param>
    /// <param name="transport">The transport; an <see cref="MqttNetTransport"/> over <paramref name="options"/> when null.</param>
    /// <param name="logger">Logger.</param>
    /// <param name="meterFactory">Makes the meter of the agent's instruments (the host's, so its /metrics exports them); a meter of its own when null.</param>
    public NodeSyncAgent(
        EdgeNode node,
        EdgeRuntime runtime,
        EdgeSynchronizer synchronizer,
        MqttOptions options,
        TimeProvider? timeProvider = null,
        Func<string, EdgeFunction?>? catalog = null,
        IMqttTransport? transport = null,
        ILogger<NodeSyncAgent>? logger = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(runtime);
        ArgumentNullException.ThrowIfNull(synchronizer);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Validate() is { } error)
        {
            throw new ArgumentException(error, nameof(options));
        }

        if (MqttTopics.ValidateNodeId(node.Id) is { } idError)
        {
            throw new ArgumentException(idError, nameof(node));
        }

        var time = timeProvider ?? TimeProvider.System;
        var log = (ILogger?)logger ?? NullLogger.Instance;
        PresencePublisher? presence = null;
        _session = new MqttSession(transport, options, time, () => new MqttConnectRequest(
            options.ClientIdFor(node.Id), presence!.Topic, presence.Status(EdgeNodeStatus.Offline, "lost"), WillRetain: true, SessionExpiry: options.SessionExpiry), log);
        presence = new PresencePublisher(_session, node, time);
        _changes = new ChangePublisher(_session, node, synchronizer, options, time, log);
        _heartbeats = new HeartbeatPublisher(_session, node, runtime, synchronizer, options, time);
        _desired = new DesiredStateHandler(_session, node, synchronizer, options, time, log);
        _deploy = new DeployIntentHandler(_session, node, runtime, catalog ?? (static _ => null), _heartbeats, options, time, log);

        // On connect in this order (status, retained state reset, heartbeat); before a clean disconnect in reverse (the
        // pending changes drain, then the Offline status).
        _session.Add(presence);
        _session.Add(_changes);
        _session.Add(_heartbeats);
        _session.Add(_desired);
        _session.Add(_deploy);

        _ownsMeter = meterFactory is null;
        _meter = Measurements.Create(meterFactory, MeterName);
        CreateInstruments(_meter);
    }

    /// <summary>The topic tree.</summary>
    public MqttTopics Topics => _session.Topics;

    /// <summary>True while connected to the broker.</summary>
    public bool IsConnected => _session.IsConnected;

    /// <summary>Changes published and acknowledged (PUBACK).</summary>
    public long Published => _changes.Published;

    /// <summary>Pending changes confirmed after their PUBACK.</summary>
    public long Confirmed => _changes.Confirmed;

    /// <summary>Retained state publications.</summary>
    public long StatesPublished => _changes.StatesPublished;

    /// <summary>Heartbeats sent.</summary>
    public long Heartbeats => _heartbeats.Sent;

    /// <summary>Publish rounds that failed (and were retried).</summary>
    public long PublishFailures => _session.PublishFailures;

    /// <summary>Inbound desired states and deployment intents that were not valid JSON of their shape.</summary>
    public long RejectedMalformed => _desired.RejectedMalformed + _deploy.RejectedMalformed;

    /// <summary>Desired states whose checksum did not match their data.</summary>
    public long RejectedChecksum => _desired.RejectedChecksum;

    /// <summary>Inbound messages over the message limit.</summary>
    public long RejectedOversize => _session.RejectedOversize;

    /// <summary>Desired states applied.</summary>
    public long DesiredApplied => _desired.Applied;

    /// <summary>Desired states refused by the conflict strategy or version rules.</summary>
    public long DesiredRefused => _desired.Refused;

    /// <summary>Deployment intents applied.</summary>
    public long DeployApplied => _deploy.Applied;

    /// <summary>Deployment intents refused.</summary>
    public long DeployRefused => _deploy.Refused;

    /// <summary>Changes or states too large to publish (skipped).</summary>
    public long OversizeSkipped => _changes.OversizeSkipped;

    /// <summary>Successful reconnections after the first connection.</summary>
    public long Reconnects => _session.Reconnects;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _session.Start();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops: pushes what is pending (bounded by <paramref name="cancellationToken"/>), publishes the retained Offline
    /// status and disconnects cleanly (so the broker discards the last will).
    /// </summary>
    public Task StopAsync(CancellationToken cancellationToken) => _session.StopAsync(cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _session.DisposeAsync().ConfigureAwait(false);
        _changes.Dispose();
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    /// <summary>Validates and applies one inbound message (as the session's queue does). Never throws for bad input: it is counted and dropped.</summary>
    internal Task HandleAsync(MqttIncomingMessage message, CancellationToken ct) => _session.DispatchAsync(message, ct);

    /// <summary>The agent's counters as <see cref="System.Diagnostics.Metrics"/> instruments (names <c>edge_mqtt_*</c>, the Prometheus names).</summary>
    private void CreateInstruments(Meter meter)
    {
        meter.CreateObservableGauge("edge_mqtt_connected", () => IsConnected ? 1 : 0, description: "1 when the node is connected to the MQTT broker.");
        meter.CreateObservableCounter("edge_mqtt_reconnects_total", () => Reconnects, description: "Successful MQTT reconnections after the first connection.");
        meter.CreateObservableCounter("edge_mqtt_connect_failures_total", () => _session.FailedConnects, description: "Failed MQTT connect attempts.");
        meter.CreateObservableCounter("edge_mqtt_changes_published_total", () => Published, description: "State changes published and acknowledged by the broker (PUBACK).");
        meter.CreateObservableCounter("edge_mqtt_changes_confirmed_total", () => Confirmed, description: "Pending changes confirmed after their PUBACK.");
        meter.CreateObservableCounter("edge_mqtt_state_published_total", () => StatesPublished, description: "Retained state publications.");
        meter.CreateObservableCounter("edge_mqtt_heartbeats_total", () => Heartbeats, description: "Heartbeats sent.");
        meter.CreateObservableCounter("edge_mqtt_publish_failures_total", () => PublishFailures, description: "Publishes that failed (connection lost or broker refusal).");
        meter.CreateObservableCounter("edge_mqtt_outgoing_oversize_total", () => OversizeSkipped, description: "Changes or states too large to publish (skipped; the retained state carries their effect when it fits).");
        meter.CreateObservableCounter(
            "edge_mqtt_rejected_total",
            () => Measurements.By("reason", ("malformed", RejectedMalformed), ("checksum", RejectedChecksum), ("oversize", RejectedOversize)),
            description: "Inbound messages rejected, by reason.");
        meter.CreateObservableCounter(
            "edge_mqtt_desired_total",
            () => Measurements.By("outcome", ("applied", DesiredApplied), ("refused", DesiredRefused)),
            description: "Desired states received, by outcome.");
        meter.CreateObservableCounter(
            "edge_mqtt_deploy_intents_total",
            () => Measurements.By("outcome", ("applied", DeployApplied), ("refused", DeployRefused)),
            description: "Deployment intents received, by outcome.");
    }
}
