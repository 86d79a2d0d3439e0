namespace Edge.Host.Mqtt;

/// <summary>
/// One job on an <see cref="MqttSession"/>: the topics it subscribes to and handles, what it does on every connection,
/// a loop of its own while the session runs, and a last step before a clean disconnect. Every member is optional.
/// </summary>
internal abstract class MqttHandler
{
    /// <summary>Topic filters subscribed on every connection.</summary>
    public virtual IReadOnlyList<(string Filter, MqttDelivery Delivery)> Subscriptions => [];

    /// <summary>True when a message on <paramref name="nodeId"/>/<paramref name="leaf"/> is this handler's.</summary>
    public virtual bool Handles(string nodeId, string leaf) => false;

    /// <summary>Validates and applies one message this handler <see cref="Handles"/> (within size, not empty). Bad input is counted, never thrown.</summary>
    public virtual Task HandleAsync(MqttIncomingMessage message, string nodeId, string leaf, CancellationToken ct) => Task.CompletedTask;

    /// <summary>Runs after the subscriptions on every connection, in the order the handlers were added.</summary>
    public virtual Task OnConnectedAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>The handler's own loop while the session runs (publishing on a timer or a feed).</summary>
    public virtual Task RunAsync(CancellationToken ct) => Task.CompletedTask;

    /// <summary>Runs before a clean disconnect while still connected, in the reverse order the handlers were added.</summary>
    public virtual Task OnStoppingAsync(CancellationToken ct) => Task.CompletedTask;
}
