using Microsoft.Extensions.Logging;

namespace Edge.Host.Mqtt;

/// <summary>
/// Keeps one transport connected: connect, run the owner's on-connected step (subscribe, announce), wait for the
/// connection to drop, then retry with capped exponential backoff and jitter. Shared by the node agent and the coordinator.
/// </summary>
internal sealed partial class MqttConnectionLoop(
    IMqttTransport transport,
    MqttOptions options,
    TimeProvider time,
    Func<MqttConnectRequest> request,
    Func<CancellationToken, Task> onConnected,
    ILogger logger)
{
    private readonly Lock _lostLock = new();
    private TaskCompletionSource _lost = NewSignal();
    private int _connected;
    private long _connects;
    private long _failedAttempts;

    /// <summary>True between a completed on-connected step and the loss of that connection.</summary>
    public bool IsConnected => Volatile.Read(ref _connected) != 0;

    /// <summary>Successful connections after the first one.</summary>
    public long Reconnects => Math.Max(0, Interlocked.Read(ref _connects) - 1);

    /// <summary>Successful connections.</summary>
    public long Connects => Interlocked.Read(ref _connects);

    /// <summary>Connect attempts that failed.</summary>
    public long FailedAttempts => Interlocked.Read(ref _failedAttempts);

    /// <summary>Raised when a connection is up (after the on-connected step).</summary>
    public event Action? Connected;

    /// <summary>
    /// The delay before retry number <paramref name="attempt"/> (0-based): min·2^attempt capped at max, then "equal
    /// jitter" (a uniformly random point in its upper half) so a fleet that lost the broker together does not return together.
    /// </summary>
    public static TimeSpan Backoff(int attempt, TimeSpan min, TimeSpan max, double random)
    {
        var exponential = min.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        var capped = Math.Min(exponential, max.TotalMilliseconds);
        return TimeSpan.FromMilliseconds((capped / 2) + (Math.Clamp(random, 0, 1) * capped / 2));
    }

    /// <summary>Call from the transport's ConnectionLost event.</summary>
    public void OnConnectionLost(string reason)
    {
        LogLost(logger, reason);
        Volatile.Write(ref _connected, 0);
        lock (_lostLock)
        {
            _lost.TrySetResult();
        }
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var attempt = 0;
        while (!ct.IsCancellationRequested)
        {
            TaskCompletionSource lost;
            lock (_lostLock)
            {
                _lost = NewSignal();
                lost = _lost;
            }

            try
            {
                await transport.ConnectAsync(request(), ct).ConfigureAwait(false);
                await onConnected(ct).ConfigureAwait(false);
                Volatile.Write(ref _connected, 1);
                Interlocked.Increment(ref _connects);
                attempt = 0;
                LogConnected(logger, options.Broker);
                Connected?.Invoke();
                await WaitUntilLostAsync(lost, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _failedAttempts);
                LogConnectFailed(logger, options.Broker, ex.Message);
                if (transport.IsConnected)
                {
                    // Connected but the on-connected step failed (e.g. a refused subscription): start over cleanly.
                    await DisconnectQuietlyAsync().ConfigureAwait(false);
                }
            }

            Volatile.Write(ref _connected, 0);
            if (ct.IsCancellationRequested)
            {
                break;
            }

            var delay = Backoff(attempt++, options.ReconnectMinDelay, options.ReconnectMaxDelay, Random.Shared.NextDouble());
            try
            {
                await Task.Delay(delay, time, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        Volatile.Write(ref _connected, 0);
    }

    private async Task WaitUntilLostAsync(TaskCompletionSource lost, CancellationToken ct)
    {
        // The event is the normal path; the periodic IsConnected check covers a loss whose event raced a reconnect.
        while (true)
        {
            var check = Task.Delay(TimeSpan.FromSeconds(1), time, ct);
            await Task.WhenAny(lost.Task, check).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            if (!transport.IsConnected)
            {
                return;
            }

            if (lost.Task.IsCompleted)
            {
                lock (_lostLock)
                {
                    _lost = NewSignal();
                    lost = _lost;
                }

                Volatile.Write(ref _connected, 1);
            }
        }
    }

    private async Task DisconnectQuietlyAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(options.ConnectTimeout, time);
            await transport.DisconnectAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogConnectFailed(logger, options.Broker, ex.Message);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    [LoggerMessage(Level = LogLevel.Information, Message = "MQTT connected to {Broker}")]
    private static partial void LogConnected(ILogger logger, string broker);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT connection to {Broker} failed: {Reason}; retrying with backoff")]
    private static partial void LogConnectFailed(ILogger logger, string broker, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "MQTT connection lost: {Reason}")]
    private static partial void LogLost(ILogger logger, string reason);
}
