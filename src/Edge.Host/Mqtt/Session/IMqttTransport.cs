namespace Edge.Host.Mqtt;

/// <summary>MQTT delivery guarantee of a publish or subscription.</summary>
public enum MqttDelivery
{
    /// <summary>QoS 0: fire and forget.</summary>
    AtMostOnce = 0,

    /// <summary>QoS 1: the publish completes on the broker's PUBACK; the receiver may see a redelivery.</summary>
    AtLeastOnce = 1,
}

/// <summary>A message the broker delivered.</summary>
/// <param name="Topic">The topic it was published on.</param>
/// <param name="Payload">The payload (a private copy; empty when <see cref="OversizeLength"/> is set).</param>
/// <param name="Retained">True when the broker replayed a retained message.</param>
/// <param name="OversizeLength">When over the transport's limit: the payload length, whose bytes were not copied.</param>
public readonly record struct MqttIncomingMessage(string Topic, ReadOnlyMemory<byte> Payload, bool Retained, long OversizeLength = 0)
{
    /// <summary>True when the payload was over the limit and dropped unread.</summary>
    public bool IsOversize => OversizeLength > 0;
}

/// <summary>What one connection asks of the broker.</summary>
/// <param name="ClientId">The MQTT client id.</param>
/// <param name="WillTopic">Topic of the last will (published by the broker when the client vanishes without DISCONNECT), or null.</param>
/// <param name="WillPayload">Last-will payload.</param>
/// <param name="WillRetain">Whether the last will is retained.</param>
/// <param name="SessionExpiry">How long the broker keeps the session after a disconnect (zero: clean session).</param>
public sealed record MqttConnectRequest(
    string ClientId,
    string? WillTopic = null,
    ReadOnlyMemory<byte> WillPayload = default,
    bool WillRetain = true,
    TimeSpan SessionExpiry = default);

/// <summary>A publish the broker refused (a PUBACK with an error reason code).</summary>
public sealed class MqttPublishRejectedException(string topic, string reason)
    : Exception($"Broker refused publish to '{topic}': {reason}")
{
    /// <summary>The broker's reason.</summary>
    public string Reason { get; } = reason;
}

/// <summary>
/// The few MQTT operations the fleet code needs, so the sync logic runs against a fake in unit tests and MQTTnet in
/// production. Implementations are safe for concurrent publishes.
/// </summary>
public interface IMqttTransport : IAsyncDisposable
{
    /// <summary>True while a connection is up.</summary>
    bool IsConnected { get; }

    /// <summary>Raised (on any thread, one at a time, in broker order) for every delivered message.</summary>
    event Func<MqttIncomingMessage, Task>? MessageReceived;

    /// <summary>Raised once when an established connection ends for any reason other than <see cref="DisconnectAsync"/>.</summary>
    event Action<string>? ConnectionLost;

    /// <summary>Opens a connection (with the last will), failing with an exception when the broker is unreachable or refuses.</summary>
    Task ConnectAsync(MqttConnectRequest request, CancellationToken cancellationToken);

    /// <summary>Publishes; for <see cref="MqttDelivery.AtLeastOnce"/> completes only on the broker's PUBACK.</summary>
    /// <exception cref="MqttPublishRejectedException">The broker answered with an error reason code.</exception>
    Task PublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttDelivery delivery, bool retain, CancellationToken cancellationToken);

    /// <summary>Subscribes to topic filters.</summary>
    Task SubscribeAsync(IReadOnlyList<(string Filter, MqttDelivery Delivery)> filters, CancellationToken cancellationToken);

    /// <summary>Clean MQTT DISCONNECT: the broker discards the last will.</summary>
    Task DisconnectAsync(CancellationToken cancellationToken);
}
