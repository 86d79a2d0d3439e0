using Edge.Host.Mqtt;

namespace Edge.Host.Tests.Mqtt;

/// <summary>An in-memory <see cref="IMqttTransport"/>: records publishes, holds PUBACKs on demand, fails on demand.</summary>
internal sealed class FakeTransport : IMqttTransport
{
    private readonly Lock _lock = new();
    private readonly List<(string Topic, byte[] Payload, MqttDelivery Delivery, bool Retain)> _published = [];

    public bool IsConnected { get; private set; }

    public event Func<MqttIncomingMessage, Task>? MessageReceived;

    public event Action<string>? ConnectionLost;

    public List<MqttConnectRequest> Connects { get; } = [];

    public List<string> Subscriptions { get; } = [];

    public int Disconnects;

    public bool FailConnects;

    /// <summary>Awaited inside every publish before it completes (the PUBACK); throw from it to fail the publish.</summary>
    public Func<string, byte[], Task>? BeforeAck;

    public IReadOnlyList<(string Topic, byte[] Payload, MqttDelivery Delivery, bool Retain)> Published
    {
        get
        {
            lock (_lock)
            {
                return [.. _published];
            }
        }
    }

    public IReadOnlyList<byte[]> PublishedOn(string topic) => Published.Where(p => p.Topic == topic).Select(p => p.Payload).ToList();

    public Task ConnectAsync(MqttConnectRequest request, CancellationToken cancellationToken)
    {
        if (FailConnects)
        {
            throw new IOException("connection refused (fake)");
        }

        Connects.Add(request);
        IsConnected = true;
        return Task.CompletedTask;
    }

    public async Task PublishAsync(string topic, ReadOnlyMemory<byte> payload, MqttDelivery delivery, bool retain, CancellationToken cancellationToken)
    {
        if (!IsConnected)
        {
            throw new IOException("not connected (fake)");
        }

        var copy = payload.ToArray();
        if (BeforeAck is { } hook)
        {
            await hook(topic, copy).WaitAsync(cancellationToken);
        }

        if (!IsConnected)
        {
            throw new IOException("connection lost before PUBACK (fake)");
        }

        lock (_lock)
        {
            _published.Add((topic, copy, delivery, retain));
        }
    }

    public Task SubscribeAsync(IReadOnlyList<(string Filter, MqttDelivery Delivery)> filters, CancellationToken cancellationToken)
    {
        Subscriptions.AddRange(filters.Select(f => f.Filter));
        return Task.CompletedTask;
    }

    public Task DisconnectAsync(CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref Disconnects);
        IsConnected = false;
        return Task.CompletedTask;
    }

    public void Drop()
    {
        IsConnected = false;
        ConnectionLost?.Invoke("dropped (fake)");
    }

    public Task DeliverAsync(string topic, ReadOnlyMemory<byte> payload, bool retained = false) =>
        MessageReceived?.Invoke(new MqttIncomingMessage(topic, payload, retained)) ?? Task.CompletedTask;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
