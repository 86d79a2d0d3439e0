using Edge.Runtime;

namespace MyNode;

/// <summary>This node's functions: every [EdgeFunction] is served at POST /v1/functions/{id}/invoke.</summary>
public static class Functions
{
    /// <summary>The mean of a window of readings (0 for an empty window).</summary>
    [EdgeFunction("mean", Name = "Mean of readings", MemoryMb = 32, TimeoutSeconds = 2)]
    public static double Mean(double[] readings) => readings.Length == 0 ? 0 : readings.Average();

    /// <summary>How many readings exceed the threshold; the timeout's token is honoured.</summary>
    [EdgeFunction("count-over", Name = "Readings over a threshold", MemoryMb = 32, TimeoutSeconds = 5)]
    public static Task<int> CountOverAsync(double[] readings, double threshold, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(readings.Count(r => r > threshold));
    }
}
