using Edge.Runtime;
using Microsoft.Extensions.Logging;

namespace Edge.Host.Mqtt;

/// <summary>
/// Deployment intents (<c>{p}/{node}/deploy</c>): deploys a function of the node's catalog (if the node has its
/// capabilities) or undeploys one, answers on <c>deploy/result</c> and sends a heartbeat with the new function list.
/// </summary>
internal sealed partial class DeployIntentHandler(
    MqttSession session, EdgeNode node, EdgeRuntime runtime, Func<string, EdgeFunction?> catalog, HeartbeatPublisher heartbeats,
    MqttOptions options, TimeProvider time, ILogger logger) : MqttHandler
{
    private readonly string _resultTopic = session.Topics.For(node.Id, MqttTopics.DeployResultLeaf);
    private long _applied;
    private long _refused;
    private long _malformed;

    public long Applied => Interlocked.Read(ref _applied);

    public long Refused => Interlocked.Read(ref _refused);

    public long RejectedMalformed => Interlocked.Read(ref _malformed);

    public override IReadOnlyList<(string Filter, MqttDelivery Delivery)> Subscriptions { get; } =
        [(session.Topics.For(node.Id, MqttTopics.DeployLeaf), MqttDelivery.AtLeastOnce)];

    public override bool Handles(string nodeId, string leaf) => leaf == MqttTopics.DeployLeaf && nodeId == node.Id;

    public override async Task HandleAsync(MqttIncomingMessage message, string nodeId, string leaf, CancellationToken ct)
    {
        var intent = MqttJson.TryRead(message.Payload.Span, MqttJsonContext.Default.DeployIntent, options.MaxJsonDepth, out var error);
        if (intent is not null && (string.IsNullOrWhiteSpace(intent.FunctionId) || intent.Action is not ("deploy" or "undeploy")))
        {
            error = $"functionId must be non-empty and action 'deploy' or 'undeploy' (got '{intent.Action}')";
            intent = null;
        }

        if (intent is null)
        {
            Interlocked.Increment(ref _malformed);
            MqttSession.LogRejected(logger, message.Topic, "malformed", error);
            return;
        }

        var (applied, detail) = Apply(intent);
        Interlocked.Increment(ref applied ? ref _applied : ref _refused);
        LogDeploy(logger, intent.Action, intent.FunctionId, detail);
        var result = new DeployResult
        {
            NodeId = node.Id,
            FunctionId = intent.FunctionId,
            Action = intent.Action,
            Applied = applied,
            Detail = detail,
            FunctionCount = runtime.FunctionCount,
            Timestamp = time.GetUtcNow(),
        };
        if (session.IsConnected)
        {
            await session.PublishAsync(_resultTopic, MqttJson.Serialize(result, MqttJsonContext.Default.DeployResult), MqttDelivery.AtLeastOnce, false, ct).ConfigureAwait(false);
            await heartbeats.PublishAsync(ct).ConfigureAwait(false);
        }
    }

    private (bool Applied, string Detail) Apply(DeployIntent intent)
    {
        if (intent.Action == "undeploy")
        {
            var undeployed = runtime.Undeploy(intent.FunctionId);
            return (undeployed, undeployed ? "undeployed" : $"function '{intent.FunctionId}' is not deployed");
        }

        if (catalog(intent.FunctionId) is not { } function)
        {
            return (false, $"function '{intent.FunctionId}' is not in this node's catalog");
        }

        if (!function.CanRunOn(node))
        {
            return (false, $"node lacks required capabilities [{string.Join(", ", function.RequiredCapabilities)}]");
        }

        runtime.Deploy(function);
        return (true, "deployed");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deployment intent {Action} {FunctionId}: {Detail}")]
    private static partial void LogDeploy(ILogger logger, string action, string functionId, string detail);
}
