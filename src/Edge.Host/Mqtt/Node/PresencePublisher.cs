using Edge.Runtime;

namespace Edge.Host.Mqtt;

/// <summary>The node's retained status: Online on every connection, Offline ("shutdown") before a clean disconnect, and the last will ("lost").</summary>
internal sealed class PresencePublisher(MqttSession session, EdgeNode node, TimeProvider time) : MqttHandler
{
    public string Topic { get; } = session.Topics.For(node.Id, MqttTopics.StatusLeaf);

    public byte[] Status(EdgeNodeStatus status, string reason) => MqttJson.Serialize(
        new StatusMessage { NodeId = node.Id, Status = status, Reason = reason, Timestamp = time.GetUtcNow() },
        MqttJsonContext.Default.StatusMessage);

    public override Task OnConnectedAsync(CancellationToken ct) =>
        session.PublishAsync(Topic, Status(EdgeNodeStatus.Online, "connected"), MqttDelivery.AtLeastOnce, true, ct);

    public override Task OnStoppingAsync(CancellationToken ct) =>
        session.PublishAsync(Topic, Status(EdgeNodeStatus.Offline, "shutdown"), MqttDelivery.AtLeastOnce, true, ct);
}
