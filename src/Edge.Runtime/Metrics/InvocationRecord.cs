namespace Edge.Runtime;

/// <summary>One function invocation, as <see cref="EdgeMetrics"/> records it.</summary>
/// <param name="FunctionId">The function.</param>
/// <param name="NodeId">The node it ran on.</param>
/// <param name="DurationMs">Wall time in milliseconds.</param>
/// <param name="Success">False for a failure or a timeout.</param>
public readonly record struct InvocationRecord(string FunctionId, string NodeId, double DurationMs, bool Success)
{
    /// <summary>When it ran (UTC); defaults to now.</summary>
    public DateTimeOffset Timestamp { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>The error message of a failure; empty on success.</summary>
    public string Error { get; init; } = "";
}

/// <summary>A consistent read of <see cref="EdgeMetrics"/>.</summary>
/// <param name="TotalInvocations">Lifetime invocations.</param>
/// <param name="SuccessRate">Lifetime success percentage (0-100; 100 when empty).</param>
/// <param name="AvgLatencyMs">Lifetime mean latency (0 when empty).</param>
/// <param name="ErrorCount">Lifetime failures.</param>
/// <param name="P50Ms">Median latency over the window.</param>
/// <param name="P95Ms">95th percentile latency over the window.</param>
/// <param name="P99Ms">99th percentile latency over the window.</param>
/// <param name="WindowCount">How many records the percentiles cover.</param>
public readonly record struct MetricsSummary(
    long TotalInvocations,
    double SuccessRate,
    double AvgLatencyMs,
    long ErrorCount,
    double P50Ms,
    double P95Ms,
    double P99Ms,
    int WindowCount);
