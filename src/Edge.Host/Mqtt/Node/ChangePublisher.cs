using System.Threading.Channels;
using Edge.Runtime;
using Microsoft.Extensions.Logging;

namespace Edge.Host.Mqtt;

/// <summary>
/// Follows the synchronizer's change feed and pushes every pending change (QoS 1, version order, each confirmed into
/// <see cref="EdgeSynchronizer.ConfirmSyncAsync"/> only after its PUBACK), then the retained state. With the broker
/// away nothing is lost: the (durable) synchronizer keeps queueing and the queue drains in order on reconnect.
/// </summary>
internal sealed partial class ChangePublisher : MqttHandler, IDisposable
{
    private readonly MqttSession _session;
    private readonly EdgeNode _node;
    private readonly EdgeSynchronizer _sync;
    private readonly MqttOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly string _stateTopic;
    private readonly string _changesTopic;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly SemaphoreSlim _drainGate = new(1, 1);
    private long _ackedUpTo;
    private long _confirmedUpTo;
    private long _statePublishedVersion = -1;
    private long _published;
    private long _confirmed;
    private long _statesPublished;
    private long _oversizeSkipped;

    public ChangePublisher(MqttSession session, EdgeNode node, EdgeSynchronizer sync, MqttOptions options, TimeProvider time, ILogger logger)
    {
        (_session, _node, _sync, _options, _time, _logger) = (session, node, sync, options, time, logger);
        _stateTopic = session.Topics.For(node.Id, MqttTopics.StateLeaf);
        _changesTopic = session.Topics.For(node.Id, MqttTopics.ChangesLeaf);
        session.Connected += Wake;
    }

    public long Published => Interlocked.Read(ref _published);

    public long Confirmed => Interlocked.Read(ref _confirmed);

    public long StatesPublished => Interlocked.Read(ref _statesPublished);

    public long OversizeSkipped => Interlocked.Read(ref _oversizeSkipped);

    public override Task OnConnectedAsync(CancellationToken ct)
    {
        // The broker may have restarted without persistence: publish the retained state again on every connection.
        Interlocked.Exchange(ref _statePublishedVersion, -1);
        return Task.CompletedTask;
    }

    public override Task RunAsync(CancellationToken ct)
    {
        // Subscribed before the first drain: every version committed from here on wakes it, and the first drain
        // publishes whatever is pending already.
        var feed = _sync.Subscribe();
        Wake();
        return Task.WhenAll(FollowChangesAsync(feed, ct), _session.RepeatAsync(DrainRoundAsync, ct));
    }

    /// <summary>Pushes what is pending before a clean disconnect.</summary>
    public override Task OnStoppingAsync(CancellationToken ct) => DrainAsync(ct);

    public void Dispose() => _drainGate.Dispose();

    /// <summary>Wakes the drain: a change was committed, the connection came up, or a failed round is due again.</summary>
    private void Wake() => _wake.Writer.TryWrite(true);

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

    private async Task DrainRoundAsync(CancellationToken ct)
    {
        await _wake.Reader.ReadAsync(ct).ConfigureAwait(false);
        if (!_session.IsConnected)
        {
            return; // the connection wakes the drain when it is back
        }

        try
        {
            await DrainAsync(ct).ConfigureAwait(false);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            // Still connected but refused (or lost just now): try again after the first reconnect delay.
            _ = Task.Delay(_options.ReconnectMinDelay, _time, ct).ContinueWith(_ => Wake(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>Publishes every pending change above the acknowledged mark, in order, confirming acknowledged ones in batches; then the retained state.</summary>
    private async Task DrainAsync(CancellationToken ct)
    {
        await _drainGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            while (await PublishPendingAsync(ct).ConfigureAwait(false) > 0)
            {
            }

            await PublishStateAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _drainGate.Release();
        }
    }

    /// <returns>How many changes this pass sent (or skipped as undeliverable).</returns>
    private async Task<int> PublishPendingAsync(CancellationToken ct)
    {
        var sent = 0;
        try
        {
            foreach (var change in _sync.GetPendingChanges())
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
                if (await PublishWithinLimitAsync(_changesTopic, payload, retain: false, ct).ConfigureAwait(false))
                {
                    Interlocked.Increment(ref _published);
                }
                else
                {
                    // Skipped rather than blocking every later change; the retained state still carries its effect.
                    LogOversizeChange(_logger, change.Version, payload.Length, _options.MaxMessageBytes);
                }

                // PUBACK received (or the change is undeliverable): only now may it be confirmed.
                _ackedUpTo = change.Version;
                sent++;
                if (_ackedUpTo - _confirmedUpTo >= NodeSyncAgent.ConfirmBatch)
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

        return sent;
    }

    private async Task PublishStateAsync(CancellationToken ct)
    {
        var state = _sync.GetLocalState();
        if (state is null || state.Version == Interlocked.Read(ref _statePublishedVersion))
        {
            return;
        }

        var payload = MqttJson.Serialize(SyncStateMessage.From(state), MqttJsonContext.Default.SyncStateMessage);
        if (await PublishWithinLimitAsync(_stateTopic, payload, retain: true, ct).ConfigureAwait(false))
        {
            Interlocked.Increment(ref _statesPublished);
        }
        else
        {
            LogOversizeState(_logger, state.Version, payload.Length, _options.MaxMessageBytes);
        }

        Interlocked.Exchange(ref _statePublishedVersion, state.Version);
    }

    /// <summary>
    /// Publishes with QoS 1 unless <paramref name="payload"/> is over the message limit: a broker drops a connection that
    /// sends a packet over its limit, so such a message could never be delivered. Skipped ones are counted.
    /// </summary>
    /// <returns>True when the broker acknowledged it.</returns>
    private async Task<bool> PublishWithinLimitAsync(string topic, byte[] payload, bool retain, CancellationToken ct)
    {
        if (payload.Length > _options.MaxMessageBytes)
        {
            Interlocked.Increment(ref _oversizeSkipped);
            return false;
        }

        await _session.PublishAsync(topic, payload, MqttDelivery.AtLeastOnce, retain, ct).ConfigureAwait(false);
        return true;
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

    [LoggerMessage(Level = LogLevel.Error, Message = "Change v{Version} is {Bytes} bytes, over the MQTT message limit of {Limit}: not published (the retained state carries it)")]
    private static partial void LogOversizeChange(ILogger logger, long version, int bytes, int limit);

    [LoggerMessage(Level = LogLevel.Error, Message = "State v{Version} is {Bytes} bytes, over the MQTT message limit of {Limit}: retained state not updated")]
    private static partial void LogOversizeState(ILogger logger, long version, int bytes, int limit);
}
