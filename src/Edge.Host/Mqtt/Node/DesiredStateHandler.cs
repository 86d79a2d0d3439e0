using Edge.Runtime;
using Microsoft.Extensions.Logging;

namespace Edge.Host.Mqtt;

/// <summary>
/// Applies desired states from the cloud (<c>{p}/{node}/desired</c>) through the node's conflict strategy and answers
/// each on <c>desired/result</c>: applied, refused by the synchronizer, or rejected (malformed, checksum) before it.
/// </summary>
internal sealed class DesiredStateHandler(MqttSession session, EdgeNode node, EdgeSynchronizer sync, MqttOptions options, TimeProvider time, ILogger logger) : MqttHandler
{
    private readonly string _resultTopic = session.Topics.For(node.Id, MqttTopics.DesiredResultLeaf);
    private long _applied;
    private long _refused;
    private long _malformed;
    private long _checksum;

    public long Applied => Interlocked.Read(ref _applied);

    public long Refused => Interlocked.Read(ref _refused);

    public long RejectedMalformed => Interlocked.Read(ref _malformed);

    public long RejectedChecksum => Interlocked.Read(ref _checksum);

    public override IReadOnlyList<(string Filter, MqttDelivery Delivery)> Subscriptions { get; } =
        [(session.Topics.For(node.Id, MqttTopics.DesiredLeaf), MqttDelivery.AtLeastOnce)];

    public override bool Handles(string nodeId, string leaf) => leaf == MqttTopics.DesiredLeaf && nodeId == node.Id;

    public override async Task HandleAsync(MqttIncomingMessage message, string nodeId, string leaf, CancellationToken ct)
    {
        // Validated once before parsing: the envelope is one level around data that may nest the node's limit.
        var desired = MqttJson.TryRead(message.Payload.Span, MqttJsonContext.Default.SyncStateMessage, options.MaxJsonDepth + 1, out var error);
        if (desired is null)
        {
            Interlocked.Increment(ref _malformed);
            MqttSession.LogRejected(logger, message.Topic, "malformed", error);
            await AnswerAsync(MqttJson.PeekVersion(message.Payload.Span), false, $"Malformed desired state: {error}", ct).ConfigureAwait(false);
            return;
        }

        // Made from the bytes that arrived once (canonicalized as the message was read) and verified once: ApplyRemote's
        // own check reuses this MD5.
        var state = desired.ToSyncState();
        if (!state.Verify())
        {
            Interlocked.Increment(ref _checksum);
            MqttSession.LogRejected(logger, message.Topic, "checksum", $"version {desired.Version}: checksum does not match data");
            await AnswerAsync(desired.Version, false, "Checksum does not match data.", ct).ConfigureAwait(false);
            return;
        }

        // The change feed announces an applied state, which republishes the retained state.
        var (applied, detail) = await sync.ApplyRemoteAsync(state).ConfigureAwait(false);
        Interlocked.Increment(ref applied ? ref _applied : ref _refused);
        await AnswerAsync(desired.Version, applied, detail, ct).ConfigureAwait(false);
    }

    private async Task AnswerAsync(long version, bool applied, string detail, CancellationToken ct)
    {
        var result = new DesiredResult
        {
            NodeId = node.Id,
            Version = version,
            Applied = applied,
            Detail = detail,
            LocalVersion = sync.LocalVersion,
            Timestamp = time.GetUtcNow(),
        };
        if (session.IsConnected)
        {
            await session.PublishAsync(_resultTopic, MqttJson.Serialize(result, MqttJsonContext.Default.DesiredResult), MqttDelivery.AtLeastOnce, false, ct).ConfigureAwait(false);
        }
    }
}
