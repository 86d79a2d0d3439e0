using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

namespace Edge.Host.Tests.Mqtt;

/// <summary>A received message as the probe saw it, with its arrival timestamp.</summary>
internal sealed record ProbeMessage(string Topic, byte[] Payload, bool Retain, bool Dup, long ArrivedAt)
{
    public string Text => Encoding.UTF8.GetString(Payload);

    public JsonObject Json => JsonNode.Parse(Payload)!.AsObject();
}

/// <summary>
/// An independent MQTTnet client playing the cloud: records every raw arrival (duplicates included), can publish,
/// and (with a persistent session) reconnects by itself when the broker goes away.
/// </summary>
internal sealed class MqttProbe : IAsyncDisposable
{
    private readonly IMqttClient _client;
    private readonly MqttClientOptions _options;
    private readonly List<(string Filter, MqttQualityOfServiceLevel Qos)> _filters = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly bool _reconnect;

    private MqttProbe(IMqttClient client, MqttClientOptions options, bool reconnect)
    {
        _client = client;
        _options = options;
        _reconnect = reconnect;
        _client.ApplicationMessageReceivedAsync += e =>
        {
            var m = e.ApplicationMessage;
            var message = new ProbeMessage(m.Topic, m.Payload.ToArray(), m.Retain, m.Dup, Stopwatch.GetTimestamp());
            Messages.Enqueue(message);
            Received?.Invoke(message);
            return Task.CompletedTask;
        };
        _client.DisconnectedAsync += async e =>
        {
            if (!_reconnect || _stop.IsCancellationRequested || !e.ClientWasConnected)
            {
                return;
            }

            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    await Task.Delay(50, _stop.Token);
                    await _client.ConnectAsync(_options, _stop.Token);
                    await SubscribeAllAsync();
                    Interlocked.Increment(ref Reconnects);
                    return;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                }
            }
        };
    }

    public ConcurrentQueue<ProbeMessage> Messages { get; } = new();

    public event Action<ProbeMessage>? Received;

    public int Reconnects;

    public bool IsConnected => _client.IsConnected;

    public static async Task<MqttProbe> ConnectAsync(string brokerUri, string clientId, bool persistentSession = false, string? username = null, string? password = null)
    {
        var uri = new Uri(brokerUri);
        var builder = new MqttClientOptionsBuilder();
        if (username is not null)
        {
            builder = builder.WithCredentials(username, password);
        }

        var options = builder
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithTcpServer(uri.Host, uri.Port)
            .WithClientId(clientId)
            .WithCleanStart(!persistentSession)
            .WithSessionExpiryInterval(persistentSession ? 3600u : 0u)
            .WithTimeout(TimeSpan.FromSeconds(10))
            .Build();
        var client = new MqttClientFactory().CreateMqttClient();
        var probe = new MqttProbe(client, options, persistentSession);
        var result = await client.ConnectAsync(options);
        if (result.ResultCode != MqttClientConnectResultCode.Success)
        {
            // MQTTnet 5 reports a refused CONNECT in the result instead of throwing.
            client.Dispose();
            throw new IOException($"the broker refused the connection: {result.ResultCode}");
        }

        return probe;
    }

    public async Task SubscribeAsync(string filter, MqttQualityOfServiceLevel qos = MqttQualityOfServiceLevel.AtLeastOnce)
    {
        _filters.Add((filter, qos));
        await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, qos).Build());
    }

    public Task PublishAsync(string topic, string payload, bool retain = false) =>
        PublishAsync(topic, Encoding.UTF8.GetBytes(payload), retain);

    public async Task PublishAsync(string topic, byte[] payload, bool retain = false)
    {
        var message = new MqttApplicationMessageBuilder()
            .WithTopic(topic)
            .WithPayload(payload)
            .WithQualityOfServiceLevel(MqttQualityOfServiceLevel.AtLeastOnce)
            .WithRetainFlag(retain)
            .Build();
        var result = await _client.PublishAsync(message);
        if (!result.IsSuccess)
        {
            throw new InvalidOperationException($"publish to {topic} failed: {result.ReasonCode}");
        }
    }

    public IReadOnlyList<ProbeMessage> On(string topic) => Messages.Where(m => m.Topic == topic).ToList();

    /// <summary>Waits until <paramref name="condition"/> holds over the received messages.</summary>
    public async Task<IReadOnlyList<ProbeMessage>> WaitForAsync(string topic, Func<IReadOnlyList<ProbeMessage>, bool> condition, TimeSpan? timeout = null)
    {
        await Eventually.TrueAsync(() => condition(On(topic)), timeout ?? TimeSpan.FromSeconds(20), $"messages on {topic}");
        return On(topic);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            if (_client.IsConnected)
            {
                await _client.DisconnectAsync(new MqttClientDisconnectOptionsBuilder().Build());
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
        }

        _client.Dispose();
        _stop.Dispose();
    }

    private async Task SubscribeAllAsync()
    {
        foreach (var (filter, qos) in _filters)
        {
            await _client.SubscribeAsync(new MqttClientSubscribeOptionsBuilder().WithTopicFilter(filter, qos).Build());
        }
    }
}

/// <summary>Polls a condition until it holds or the deadline passes (waiting for asynchronous effects, not timing them).</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}.");
            }

            await Task.Delay(10);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!await condition())
        {
            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout.TotalSeconds:0.#} s waiting for {what}.");
            }

            await Task.Delay(50);
        }
    }
}
