using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Edge.Host.Functions;
using Edge.Host.Metrics;
using Edge.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Edge.Host.Mqtt;

/// <summary>
/// Connects one node to the fleet broker: pushes its pending changes (QoS 1, version order, each confirmed into
/// <see cref="EdgeSynchronizer.ConfirmSync"/> only after the broker's PUBACK), keeps the retained state and presence,
/// heartbeats, and applies desired states and deployment intents. With the broker away the node keeps serving and the
/// (durable) synchronizer keeps queueing; on reconnect the queue drains in order.
/// </summary>
/// <remarks>
/// Delivery is at-least-once: a change whose PUBACK was lost with the connection (or whose confirm was lost with the
/// process) is sent again. Receivers apply each version once — they ignore a change whose version they already have.
/// </remarks>
public sealed partial class NodeSyncAgent : IHostedService, IAsyncDisposable
{
    /// <summary>The name of the agent's meter.</summary>
    public const string MeterName = "Edge.Mqtt.Node";

    /// <summary>Acknowledged changes confirmed in one <see cref="EdgeSynchronizer.ConfirmSync"/> call at most (one journal write per batch).</summary>
    internal const int ConfirmBatch = 64;

    private readonly EdgeNode _node;
    private readonly EdgeRuntime _runtime;
    private readonly EdgeSynchronizer _sync;
    private readonly MqttOptions _options;
    private readonly TimeProvider _time;
    private readonly Meter _meter;
    private readonly bool _ownsMeter;
    private readonly Func<string, EdgeFunction?> _catalog;
    private readonly IMqttTransport _transport;
    private readonly bool _ownsTransport;
    private readonly ILogger _logger;
    private readonly MqttTopics _topics;
    private readonly MqttConnectionLoop _connection;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly Channel<MqttIncomingMessage> _inbound = Channel.CreateBounded<MqttIncomingMessage>(new BoundedChannelOptions(1024) { SingleReader = true });
    private readonly SemaphoreSlim _drainGate = new(1, 1);
    private readonly string _stateTopic;
    private readonly string _changesTopic;
    private CancellationTokenSource? _stopping;
    private Task _loops = Task.CompletedTask;
    private long _ackedUpTo;
    private long _confirmedUpTo;
    private long _statePublishedVersion = -1;
    private long _published;
    private long _confirmed;
    private long _statesPublished;
    private long _heartbeats;
    private long _rejectedMalformed;
    private long _rejectedChecksum;
    private long _rejectedOversize;
    private long _desiredApplied;
    private long _desiredRefused;
    private long _deployApplied;
    private long _deployRefused;
    private long _publishFailures;
    private long _oversizeSkipped;

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
        _node = node ?? throw new ArgumentNullException(nameof(node));
        _runtime = runtime ?? throw new ArgumentNullException(nameof(runtime));
        _sync = synchronizer ?? throw new ArgumentNullException(nameof(synchronizer));
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Validate() is { } error)
        {
            throw new ArgumentException(error, nameof(options));
        }

        if (MqttTopics.ValidateNodeId(node.Id) is { } idError)
        {
            throw new ArgumentException(idError, nameof(node));
        }

        _time = timeProvider ?? TimeProvider.System;
        _catalog = catalog ?? (static _ => null);
        _ownsTransport = transport is null;
        _transport = transport ?? new MqttNetTransport(options);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _ownsMeter = meterFactory is null;
        _meter = Measurements.Create(meterFactory, MeterName);
        _topics = new MqttTopics(options.TopicPrefix);
        _stateTopic = _topics.For(node.Id, MqttTopics.StateLeaf);
        _changesTopic = _topics.For(node.Id, MqttTopics.ChangesLeaf);
        _connection = new MqttConnectionLoop(_transport, options, _time, ConnectRequest, OnConnectedAsync, _logger);
        _connection.Connected += Wake;
        _transport.ConnectionLost += _connection.OnConnectionLost;
        _transport.MessageReceived += OnMessageAsync;
        CreateInstruments(_meter);
    }

    /// <summary>The topic tree.</summary>
    public MqttTopics Topics => _topics;

    /// <summary>True while connected to the broker.</summary>
    public bool IsConnected => _connection.IsConnected;

    /// <summary>Changes published and acknowledged by the broker (PUBACK).</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Pending changes removed by <see cref="EdgeSynchronizer.ConfirmSync"/> after their PUBACK.</summary>
    public long Confirmed => Interlocked.Read(ref _confirmed);

    /// <summary>Retained state publications.</summary>
    public long StatesPublished => Interlocked.Read(ref _statesPublished);

    /// <summary>Heartbeats sent.</summary>
    public long Heartbeats => Interlocked.Read(ref _heartbeats);

    /// <summary>Publishes that failed (connection lost or broker refusal).</summary>
    public long PublishFailures => Interlocked.Read(ref _publishFailures);

    /// <summary>Inbound messages rejected as malformed (bad JSON, wrong types, missing members, bad action).</summary>
    public long RejectedMalformed => Interlocked.Read(ref _rejectedMalformed);

    /// <summary>Desired states rejected because the checksum does not match the data.</summary>
    public long RejectedChecksum => Interlocked.Read(ref _rejectedChecksum);

    /// <summary>Inbound messages over <see cref="MqttOptions.MaxMessageBytes"/>.</summary>
    public long RejectedOversize => Interlocked.Read(ref _rejectedOversize);

    /// <summary>Desired states applied.</summary>
    public long DesiredApplied => Interlocked.Read(ref _desiredApplied);

    /// <summary>Desired states refused by the synchronizer (stale version, conflict strategy).</summary>
    public long DesiredRefused => Interlocked.Read(ref _desiredRefused);

    /// <summary>Deployment intents applied.</summary>
    public long DeployApplied => Interlocked.Read(ref _deployApplied);

    /// <summary>Deployment intents refused (unknown function, missing capability).</summary>
    public long DeployRefused => Interlocked.Read(ref _deployRefused);

    /// <summary>Outgoing changes or states over <see cref="MqttOptions.MaxMessageBytes"/>, skipped because no broker would take them.</summary>
    public long OversizeSkipped => Interlocked.Read(ref _oversizeSkipped);

    /// <summary>Successful connections after the first.</summary>
    public long Reconnects => _connection.Reconnects;

    /// <summary>Wakes the drain loop: a change was committed, the connection came up, or a failed round is due again.</summary>
    private void Wake() => _wake.Writer.TryWrite(true);

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (_stopping is not null)
        {
            throw new InvalidOperationException("The agent is already started.");
        }

        _stopping = new CancellationTokenSource();
        var ct = _stopping.Token;

        // Subscribed before the loops start: every version committed from here on wakes the drain, and the first
        // drain publishes whatever is pending already.
        var feed = _sync.Subscribe();
        Wake();
        _loops = Task.WhenAll(
            Task.Run(() => FollowChangesAsync(feed, ct), CancellationToken.None),
            Task.Run(() => _connection.RunAsync(ct), CancellationToken.None),
            Task.Run(() => DrainLoopAsync(ct), CancellationToken.None),
            Task.Run(() => HeartbeatLoopAsync(ct), CancellationToken.None),
            Task.Run(() => InboundLoopAsync(ct), CancellationToken.None));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Stops: pushes what is pending (bounded by <paramref name="cancellationToken"/>), publishes the retained Offline
    /// status and disconnects cleanly (so the broker discards the last will).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is null || _stopping.IsCancellationRequested)
        {
            return;
        }

        var wasConnected = _connection.IsConnected;
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loops.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        if (wasConnected && _transport.IsConnected)
        {
            try
            {
                await DrainAsync(cancellationToken).ConfigureAwait(false);
                await PublishAsync(_topics.For(_node.Id, MqttTopics.StatusLeaf), Status(EdgeNodeStatus.Offline, "shutdown"), MqttDelivery.AtLeastOnce, true, cancellationToken).ConfigureAwait(false);
                await _transport.DisconnectAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogStopFailed(_logger, ex.Message);
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
        _drainGate.Dispose();
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }

    /// <summary>The agent's counters as <see cref="System.Diagnostics.Metrics"/> instruments (names <c>edge_mqtt_*</c>, the Prometheus names).</summary>
    private void CreateInstruments(Meter meter)
    {
        meter.CreateObservableGauge("edge_mqtt_connected", () => IsConnected ? 1 : 0, description: "1 when the node is connected to the MQTT broker.");
        meter.CreateObservableCounter("edge_mqtt_reconnects_total", () => Reconnects, description: "Successful MQTT reconnections after the first connection.");
        meter.CreateObservableCounter("edge_mqtt_connect_failures_total", () => _connection.FailedAttempts, description: "Failed MQTT connect attempts.");
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

    private MqttConnectRequest ConnectRequest() => new(
        _options.ClientIdFor(_node.Id),
        _topics.For(_node.Id, MqttTopics.StatusLeaf),
        Status(EdgeNodeStatus.Offline, "lost"),
        WillRetain: true,
        SessionExpiry: _options.SessionExpiry);

    private async Task OnConnectedAsync(CancellationToken ct)
    {
        await _transport.SubscribeAsync(
            [
                (_topics.For(_node.Id, MqttTopics.DesiredLeaf), MqttDelivery.AtLeastOnce),
                (_topics.For(_node.Id, MqttTopics.DeployLeaf), MqttDelivery.AtLeastOnce),
            ],
            ct).ConfigureAwait(false);
        await PublishAsync(_topics.For(_node.Id, MqttTopics.StatusLeaf), Status(EdgeNodeStatus.Online, "connected"), MqttDelivery.AtLeastOnce, true, ct).ConfigureAwait(false);

        // The broker may have restarted without persistence: publish the retained state again on every connection.
        Interlocked.Exchange(ref _statePublishedVersion, -1);
        await PublishHeartbeatAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Wakes the drain for each committed local update or applied remote state (confirms are the drain's own).</summary>
    private async Task FollowChangesAsync(SyncSubscription feed, CancellationToken ct)
    {
        using (feed)
        {
            try
            {
                await foreach (var change in feed.Changes.ReadAllAsync(ct).ConfigureAwait(false))
                {
                    if (change.Kind != SyncChangeKind.Confirmed)
                    {
                        Wake();
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
        }
    }

    private Task DrainLoopAsync(CancellationToken ct) => RepeatAsync(async token =>
    {
        await _wake.Reader.ReadAsync(token).ConfigureAwait(false);
        if (!_connection.IsConnected)
        {
            // The connection loop wakes the drain when it is back.
            return;
        }

        try
        {
            await DrainAsync(token).ConfigureAwait(false);
        }
        catch (Exception) when (!token.IsCancellationRequested)
        {
            // Still connected but refused (or lost just now): try again after the first reconnect delay.
            _ = Task.Delay(_options.ReconnectMinDelay, _time, token).ContinueWith(_ => Wake(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
    }, ct);

    /// <summary>
    /// Runs <paramref name="round"/> until <paramref name="ct"/> is cancelled. A failed round (connection loss, which the
    /// connection loop repairs, or a broker refusal) is counted and logged, and the next round retries.
    /// </summary>
    private async Task RepeatAsync(Func<CancellationToken, Task> round, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await round(ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                Interlocked.Increment(ref _publishFailures);
                LogPublishFailed(_logger, ex.Message);
            }
        }
    }

    /// <summary>Publishes every pending change above the acknowledged mark, in order, confirming acknowledged ones in batches; then the retained state.</summary>
    private async Task DrainAsync(CancellationToken ct)
    {
        await _drainGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            while (true)
            {
                var pending = _sync.GetPendingChanges();
                var sent = 0;
                try
                {
                    foreach (var change in pending)
                    {
                        if (change.Version <= _ackedUpTo)
                        {
                            continue;
                        }

                        var message = new ChangeMessage
                        {
                            NodeId = _node.Id,
                            Version = change.Version,
                            Type = change.Type,
                            IsDelta = change.IsDelta,
                            // The stored bytes, and their checksum: a full update's is its state's; a delta's is hashed once.
                            Data = change.Canonical,
                            Checksum = change.DataChecksum,
                            Timestamp = change.Timestamp.ToUniversalTime(),
                        };
                        var payload = MqttJson.Serialize(message, MqttJsonContext.Default.ChangeMessage);
                        if (payload.Length > _options.MaxMessageBytes)
                        {
                            // A broker drops a connection that sends a packet over its limit, so this change could never
                            // be delivered and would block every later one. It is skipped (counted, logged); the
                            // retained state still carries its effect.
                            Interlocked.Increment(ref _oversizeSkipped);
                            LogOversizeChange(_logger, change.Version, payload.Length, _options.MaxMessageBytes);
                        }
                        else
                        {
                            await _transport.PublishAsync(_changesTopic, payload, MqttDelivery.AtLeastOnce, false, ct).ConfigureAwait(false);
                            Interlocked.Increment(ref _published);
                        }

                        // PUBACK received (or the change is undeliverable): only now may it be confirmed.
                        _ackedUpTo = change.Version;
                        sent++;
                        if (_ackedUpTo - _confirmedUpTo >= ConfirmBatch)
                        {
                            await ConfirmAcknowledgedAsync().ConfigureAwait(false);
                        }
                    }
                }
                finally
                {
                    // Whatever was acknowledged before a failure is confirmed, so it is never sent again.
                    await ConfirmAcknowledgedAsync().ConfigureAwait(false);
                }

                if (sent == 0)
                {
                    break;
                }
            }

            var state = _sync.GetLocalState();
            if (state is not null && state.Version != Interlocked.Read(ref _statePublishedVersion))
            {
                var payload = MqttJson.Serialize(SyncStateMessage.From(state), MqttJsonContext.Default.SyncStateMessage);
                if (payload.Length > _options.MaxMessageBytes)
                {
                    Interlocked.Increment(ref _oversizeSkipped);
                    LogOversizeState(_logger, state.Version, payload.Length, _options.MaxMessageBytes);
                }
                else
                {
                    await _transport.PublishAsync(_stateTopic, payload, MqttDelivery.AtLeastOnce, true, ct).ConfigureAwait(false);
                    Interlocked.Increment(ref _statesPublished);
                }

                Interlocked.Exchange(ref _statePublishedVersion, state.Version);
            }
        }
        finally
        {
            _drainGate.Release();
        }
    }

    private async Task ConfirmAcknowledgedAsync()
    {
        if (_ackedUpTo > _confirmedUpTo)
        {
            var removed = await _sync.ConfirmSyncAsync(_ackedUpTo).ConfigureAwait(false);
            _confirmedUpTo = _ackedUpTo;
            Interlocked.Add(ref _confirmed, removed);
        }
    }

    private Task HeartbeatLoopAsync(CancellationToken ct) => RepeatAsync(async token =>
    {
        await Task.Delay(_options.HeartbeatInterval, _time, token).ConfigureAwait(false);
        if (_connection.IsConnected)
        {
            await PublishHeartbeatAsync(token).ConfigureAwait(false);
        }
    }, ct);

    private async Task PublishHeartbeatAsync(CancellationToken ct)
    {
        var summary = _sync.Summary();
        var functions = _runtime.ListFunctions();
        var ids = new string[functions.Count];
        var deployed = new FunctionInfo[functions.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = functions[i].Id;
            deployed[i] = FunctionInfo.From(functions[i]);
        }

        var inFlight = _runtime.InFlight;
        var heartbeat = new HeartbeatMessage
        {
            NodeId = _node.Id,
            Name = _node.Name,
            Location = _node.Location,
            Status = _node.Status,
            Capabilities = [.. _node.Capabilities],
            FunctionCount = ids.Length,
            Functions = ids,
            Deployed = deployed,
            InFlight = inFlight,
            Load = Math.Round((double)inFlight / Environment.ProcessorCount, 3),
            TotalInvocations = _runtime.TotalInvocations,
            LocalVersion = summary.LocalVersion,
            RemoteVersion = summary.RemoteVersion,
            Pending = summary.PendingCount,
            Timestamp = _time.GetUtcNow(),
        };
        await _transport.PublishAsync(
            _topics.For(_node.Id, MqttTopics.HeartbeatLeaf),
            MqttJson.Serialize(heartbeat, MqttJsonContext.Default.HeartbeatMessage),
            MqttDelivery.AtMostOnce,
            false,
            ct).ConfigureAwait(false);
        Interlocked.Increment(ref _heartbeats);
    }

    private async Task OnMessageAsync(MqttIncomingMessage message)
    {
        var ct = _stopping?.Token ?? CancellationToken.None;
        try
        {
            await _inbound.Writer.WriteAsync(message, ct).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the broker redelivers unacknowledged QoS 1 messages to the persistent session later.
        }
    }

    private async Task InboundLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var message in _inbound.Reader.ReadAllAsync(ct).ConfigureAwait(false))
            {
                try
                {
                    await HandleAsync(message, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    // A result publish failed or the journal refused a write: the message itself was handled or rejected.
                    LogInboundFailed(_logger, message.Topic, ex.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Validates and applies one inbound message. Never throws for bad input: it is counted and dropped.</summary>
    internal async Task HandleAsync(MqttIncomingMessage message, CancellationToken ct)
    {
        if (!_topics.TryParse(message.Topic, out var nodeId, out var leaf) || nodeId != _node.Id)
        {
            return;
        }

        if (leaf is not (MqttTopics.DesiredLeaf or MqttTopics.DeployLeaf))
        {
            return;
        }

        if (message.IsOversize || message.Payload.Length > _options.MaxMessageBytes)
        {
            Interlocked.Increment(ref _rejectedOversize);
            LogRejected(_logger, message.Topic, "oversize", $"{Math.Max(message.OversizeLength, message.Payload.Length)} bytes > {_options.MaxMessageBytes}");
            return;
        }

        if (message.Payload.IsEmpty)
        {
            // An empty retained message only clears the topic.
            return;
        }

        if (leaf == MqttTopics.DesiredLeaf)
        {
            await HandleDesiredAsync(message, ct).ConfigureAwait(false);
        }
        else
        {
            await HandleDeployAsync(message, ct).ConfigureAwait(false);
        }
    }

    private async Task HandleDesiredAsync(MqttIncomingMessage message, CancellationToken ct)
    {
        // Validated once before parsing: the envelope is one level around data that may nest the node's limit.
        var desired = MqttJson.TryRead(message.Payload.Span, MqttJsonContext.Default.SyncStateMessage, _options.MaxJsonDepth + 1, out var error);
        if (desired is null)
        {
            Interlocked.Increment(ref _rejectedMalformed);
            LogRejected(_logger, message.Topic, "malformed", error);
            await PublishDesiredResultAsync(MqttJson.PeekVersion(message.Payload.Span), false, $"Malformed desired state: {error}", ct).ConfigureAwait(false);
            return;
        }

        // Made from the bytes that arrived once (canonicalized as the message was read) and verified once: ApplyRemote's
        // own check reuses this MD5.
        var state = desired.ToSyncState();
        if (!state.Verify())
        {
            var problem = $"version {desired.Version}: checksum does not match data";
            Interlocked.Increment(ref _rejectedChecksum);
            LogRejected(_logger, message.Topic, "checksum", problem);
            await PublishDesiredResultAsync(desired.Version, false, "Checksum does not match data.", ct).ConfigureAwait(false);
            return;
        }

        // The change feed announces an applied state, which republishes the retained state.
        var (applied, detail) = await _sync.ApplyRemoteAsync(state).ConfigureAwait(false);
        Interlocked.Increment(ref applied ? ref _desiredApplied : ref _desiredRefused);

        await PublishDesiredResultAsync(desired.Version, applied, detail, ct).ConfigureAwait(false);
    }

    /// <summary>Answers a desired state on <c>desired/result</c> (applied, refused by the synchronizer, or rejected before it).</summary>
    private async Task PublishDesiredResultAsync(long version, bool applied, string detail, CancellationToken ct)
    {
        var result = new DesiredResult
        {
            NodeId = _node.Id,
            Version = version,
            Applied = applied,
            Detail = detail,
            LocalVersion = _sync.LocalVersion,
            Timestamp = _time.GetUtcNow(),
        };
        if (_connection.IsConnected)
        {
            await PublishAsync(_topics.For(_node.Id, MqttTopics.DesiredResultLeaf), MqttJson.Serialize(result, MqttJsonContext.Default.DesiredResult), MqttDelivery.AtLeastOnce, false, ct).ConfigureAwait(false);
        }
    }

    private async Task HandleDeployAsync(MqttIncomingMessage message, CancellationToken ct)
    {
        var intent = MqttJson.TryRead(message.Payload.Span, MqttJsonContext.Default.DeployIntent, _options.MaxJsonDepth, out var error);
        if (intent is not null && (string.IsNullOrWhiteSpace(intent.FunctionId) || intent.Action is not ("deploy" or "undeploy")))
        {
            error = $"functionId must be non-empty and action 'deploy' or 'undeploy' (got '{intent.Action}')";
            intent = null;
        }

        if (intent is null)
        {
            Interlocked.Increment(ref _rejectedMalformed);
            LogRejected(_logger, message.Topic, "malformed", error);
            return;
        }

        bool applied;
        string detail;
        if (intent.Action == "undeploy")
        {
            applied = _runtime.Undeploy(intent.FunctionId);
            detail = applied ? "undeployed" : $"function '{intent.FunctionId}' is not deployed";
        }
        else if (_catalog(intent.FunctionId) is not { } function)
        {
            applied = false;
            detail = $"function '{intent.FunctionId}' is not in this node's catalog";
        }
        else if (!function.CanRunOn(_node))
        {
            applied = false;
            detail = $"node lacks required capabilities [{string.Join(", ", function.RequiredCapabilities)}]";
        }
        else
        {
            _runtime.Deploy(function);
            applied = true;
            detail = "deployed";
        }

        Interlocked.Increment(ref applied ? ref _deployApplied : ref _deployRefused);
        LogDeploy(_logger, intent.Action, intent.FunctionId, detail);
        var result = new DeployResult
        {
            NodeId = _node.Id,
            FunctionId = intent.FunctionId,
            Action = intent.Action,
            Applied = applied,
            Detail = detail,
            FunctionCount = _runtime.FunctionCount,
            Timestamp = _time.GetUtcNow(),
        };
        if (_connection.IsConnected)
        {
            await PublishAsync(_topics.For(_node.Id, MqttTopics.DeployResultLeaf), MqttJson.Serialize(result, MqttJsonContext.Default.DeployResult), MqttDelivery.AtLeastOnce, false, ct).ConfigureAwait(false);
            await PublishHeartbeatAsync(ct).ConfigureAwait(false);
        }
    }

    private byte[] Status(EdgeNodeStatus status, string reason) => MqttJson.Serialize(
        new StatusMessage { NodeId = _node.Id, Status = status, Reason = reason, Timestamp = _time.GetUtcNow() },
        MqttJsonContext.Default.StatusMessage);

    private Task PublishAsync(string topic, byte[] payload, MqttDelivery delivery, bool retain, CancellationToken ct) =>
        _transport.PublishAsync(topic, payload, delivery, retain, ct);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT publish failed, retrying: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Change v{Version} is {Bytes} bytes, over the MQTT message limit of {Limit}: not published (the retained state carries it)")]
    private static partial void LogOversizeChange(ILogger logger, long version, int bytes, int limit);

    [LoggerMessage(Level = LogLevel.Error, Message = "State v{Version} is {Bytes} bytes, over the MQTT message limit of {Limit}: retained state not updated")]
    private static partial void LogOversizeState(ILogger logger, long version, int bytes, int limit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT message on {Topic} rejected ({Kind}): {Reason}")]
    private static partial void LogRejected(ILogger logger, string topic, string kind, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT message on {Topic} could not be completed: {Reason}")]
    private static partial void LogInboundFailed(ILogger logger, string topic, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployment intent {Action} {FunctionId}: {Detail}")]
    private static partial void LogDeploy(ILogger logger, string action, string functionId, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT clean shutdown incomplete: {Reason}")]
    private static partial void LogStopFailed(ILogger logger, string reason);
}
