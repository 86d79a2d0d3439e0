using Edge.Host.Functions;
using Edge.Runtime;

namespace Edge.Host.Mqtt;

/// <summary>Heartbeats (QoS 0) every <see cref="MqttOptions.HeartbeatInterval"/> and after each connection: identity, functions, load, sync versions.</summary>
internal sealed class HeartbeatPublisher(MqttSession session, EdgeNode node, EdgeRuntime runtime, EdgeSynchronizer sync, MqttOptions options, TimeProvider time) : MqttHandler
{
    private readonly string _topic = session.Topics.For(node.Id, MqttTopics.HeartbeatLeaf);
    private long _sent;

    public long Sent => Interlocked.Read(ref _sent);

    public override Task OnConnectedAsync(CancellationToken ct) => PublishAsync(ct);

    public override Task RunAsync(CancellationToken ct) => session.RepeatAsync(async token =>
    {
        await Task.Delay(options.HeartbeatInterval, time, token).ConfigureAwait(false);
        if (session.IsConnected)
        {
            await PublishAsync(token).ConfigureAwait(false);
        }
    }, ct);

    public async Task PublishAsync(CancellationToken ct)
    {
        var summary = sync.Summary();
        var functions = runtime.ListFunctions();
        var ids = new string[functions.Count];
        var deployed = new FunctionInfo[functions.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = functions[i].Id;
            deployed[i] = FunctionInfo.From(functions[i]);
        }

        var inFlight = runtime.InFlight;
        var heartbeat = new HeartbeatMessage
        {
            NodeId = node.Id,
            Name = node.Name,
            Location = node.Location,
            Status = node.Status,
            Capabilities = [.. node.Capabilities],
            FunctionCount = ids.Length,
            Functions = ids,
            Deployed = deployed,
            InFlight = inFlight,
            Load = Math.Round((double)inFlight / Environment.ProcessorCount, 3),
            TotalInvocations = runtime.TotalInvocations,
            LocalVersion = summary.LocalVersion,
            RemoteVersion = summary.RemoteVersion,
            Pending = summary.PendingCount,
            Timestamp = time.GetUtcNow(),
        };
        await session.PublishAsync(_topic, MqttJson.Serialize(heartbeat, MqttJsonContext.Default.HeartbeatMessage), MqttDelivery.AtMostOnce, false, ct).ConfigureAwait(false);
        Interlocked.Increment(ref _sent);
    }
}
