using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Edge.Host.Mqtt;

/// <summary>
/// One MQTT session, shared by the node agent and the coordinator: the transport, the connection loop that keeps it
/// up, the subscriptions of its <see cref="MqttHandler"/>s, and one inbound queue read in arrival order that hands each
/// message to the handler of its topic. Handlers publish through it; a failed round of theirs is counted here.
/// </summary>
internal sealed partial class MqttSession : IAsyncDisposable
{
    private readonly IMqttTransport _transport;
    private readonly bool _ownsTransport;
    private readonly MqttOptions _options;
    private readonly bool _inline;
    private readonly MqttTopics _topics;
    private readonly ILogger _logger;
    private readonly MqttConnectionLoop _connection;
    private readonly List<MqttHandler> _handlers = [];
    private readonly Channel<MqttIncomingMessage> _inbound = Channel.CreateBounded<MqttIncomingMessage>(new BoundedChannelOptions(1024) { SingleReader = true });
    private CancellationTokenSource? _stopping;
    private Task _loops = Task.CompletedTask;
    private long _publishFailures;
    private long _rejectedOversize;

    /// <param name="transport">The transport; an <see cref="MqttNetTransport"/> over <paramref name="options"/> (owned by the session) when null.</param>
    /// <param name="options">Validated options: broker, backoff, message limit.</param>
    /// <param name="time">Clock of the backoff.</param>
    /// <param name="request">The CONNECT of each attempt (client id, last will, session expiry).</param>
    /// <param name="logger">Logger.</param>
    /// <param name="inline">
    /// Dispatch in the transport's receive callback instead of the queue: for handlers that neither publish nor wait
    /// (a QoS 1 publish awaited there would wait for a PUBACK the blocked receive loop cannot read).
    /// </param>
    public MqttSession(IMqttTransport? transport, MqttOptions options, TimeProvider time, Func<MqttConnectRequest> request, ILogger logger, bool inline = false)
    {
        _inline = inline;
        _options = options;
        _logger = logger;
        _topics = new MqttTopics(options.TopicPrefix);
        _ownsTransport = transport is null;
        _transport = transport ?? new MqttNetTransport(options);
        _connection = new MqttConnectionLoop(_transport, options, time, request, OnConnectedAsync, logger);
        _transport.ConnectionLost += _connection.OnConnectionLost;
        _transport.MessageReceived += OnMessageAsync;
    }

    /// <summary>Raised when a connection is up (after every handler's on-connected step).</summary>
    public event Action? Connected
    {
        add => _connection.Connected += value;
        remove => _connection.Connected -= value;
    }

    public MqttTopics Topics => _topics;

    public bool IsConnected => _connection.IsConnected;

    public long Reconnects => _connection.Reconnects;

    public long FailedConnects => _connection.FailedAttempts;

    /// <summary>Handler rounds that failed (connection lost mid-publish, broker refusal), each retried.</summary>
    public long PublishFailures => Interlocked.Read(ref _publishFailures);

    /// <summary>Inbound messages over <see cref="MqttOptions.MaxMessageBytes"/>, dropped before any handler saw them.</summary>
    public long RejectedOversize => Interlocked.Read(ref _rejectedOversize);

    /// <summary>Adds a handler; only before <see cref="Start"/>.</summary>
    public void Add(MqttHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (_stopping is not null)
        {
            throw new InvalidOperationException("Handlers are added before the session starts.");
        }

        _handlers.Add(handler);
    }

    /// <summary>Starts connecting, reading the inbound queue and every handler's loop.</summary>
    public void Start()
    {
        if (_stopping is not null)
        {
            throw new InvalidOperationException("The session is already started.");
        }

        _stopping = new CancellationTokenSource();
        var ct = _stopping.Token;
        var loops = new List<Task>
        {
            Task.Run(() => _connection.RunAsync(ct), CancellationToken.None),
            Task.Run(() => InboundLoopAsync(ct), CancellationToken.None),
        };
        foreach (var handler in _handlers)
        {
            loops.Add(Task.Run(() => handler.RunAsync(ct), CancellationToken.None));
        }

        _loops = Task.WhenAll(loops);
    }

    /// <summary>
    /// Stops the loops; if the connection was up, lets every handler finish (reverse order, bounded by
    /// <paramref name="cancellationToken"/>) and disconnects cleanly, so the broker discards the last will.
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

        if (!wasConnected || !_transport.IsConnected)
        {
            return;
        }

        try
        {
            for (var i = _handlers.Count - 1; i >= 0; i--)
            {
                await _handlers[i].OnStoppingAsync(cancellationToken).ConfigureAwait(false);
            }

            await _transport.DisconnectAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogStopFailed(_logger, ex.Message);
        }
    }

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
    }

    public Task PublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttDelivery delivery, bool retain, CancellationToken ct) =>
        _transport.PublishAsync(topic, payload, delivery, retain, ct);

    /// <summary>
    /// Runs <paramref name="round"/> until <paramref name="ct"/> is cancelled. A failed round (connection loss, which the
    /// connection loop repairs, or a broker refusal) is counted and logged, and the next round retries.
    /// </summary>
    public async Task RepeatAsync(Func<CancellationToken, Task> round, CancellationToken ct)
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

    /// <summary>Hands one message to the handler of its topic, after the checks every handler relies on. Never throws for bad input.</summary>
    public async Task DispatchAsync(MqttIncomingMessage message, CancellationToken ct)
    {
        if (!_topics.TryParse(message.Topic, out var nodeId, out var leaf) || _handlers.Find(h => h.Handles(nodeId, leaf)) is not { } handler)
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
            return; // an empty retained message only clears its topic
        }

        await handler.HandleAsync(message, nodeId, leaf, ct).ConfigureAwait(false);
    }

    private async Task OnConnectedAsync(CancellationToken ct)
    {
        var filters = _handlers.SelectMany(h => h.Subscriptions).ToList();
        if (filters.Count > 0)
        {
            await _transport.SubscribeAsync(filters, ct).ConfigureAwait(false);
        }

        foreach (var handler in _handlers)
        {
            await handler.OnConnectedAsync(ct).ConfigureAwait(false);
        }
    }

    private async Task OnMessageAsync(MqttIncomingMessage message)
    {
        var ct = _stopping?.Token ?? CancellationToken.None;
        try
        {
            if (_inline)
            {
                await DispatchAsync(message, ct).ConfigureAwait(false);
            }
            else
            {
                await _inbound.Writer.WriteAsync(message, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping: the broker redelivers unacknowledged QoS 1 messages to a persistent session later.
        }
        catch (Exception ex) when (_inline && ex is not OutOfMemoryException)
        {
            LogInboundFailed(_logger, message.Topic, ex.Message);
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
                    await DispatchAsync(message, ct).ConfigureAwait(false);
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT publish failed, retrying: {Reason}")]
    private static partial void LogPublishFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT message on {Topic} rejected ({Kind}): {Reason}")]
    internal static partial void LogRejected(ILogger logger, string topic, string kind, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT message on {Topic} could not be completed: {Reason}")]
    private static partial void LogInboundFailed(ILogger logger, string topic, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT clean shutdown incomplete: {Reason}")]
    private static partial void LogStopFailed(ILogger logger, string reason);
}
