using System.Text.Json;
using System.Text.Json.Serialization;
using Edge.Runtime;

[assembly: EdgeJsonContext(typeof(Edge.Host.Functions.BuiltinJsonContext))]

namespace Edge.Host.Functions;

/// <summary>Summary statistics of a window of sensor readings.</summary>
public sealed record SensorStats(int Count, double Mean, double Min, double Max, double StdDev);

/// <summary>The outcome of threshold alerting over a window of readings.</summary>
/// <param name="Triggered">True when at least <c>minConsecutive</c> readings in a row exceeded the threshold.</param>
/// <param name="Exceeding">How many readings exceeded it.</param>
/// <param name="FirstIndex">Index of the first reading of the first qualifying run, or -1.</param>
/// <param name="LongestRun">The longest run of consecutive readings above the threshold.</param>
/// <param name="Peak">The largest reading (0 for an empty window).</param>
public sealed record ThresholdAlert(bool Triggered, int Exceeding, int FirstIndex, int LongestRun, double Peak);

/// <summary>A compact summary of an image frame (or any byte buffer): byte histogram and brightness.</summary>
public sealed record FrameSummary(int Bytes, int[] Histogram, double MeanByte, int Min, int Max);

/// <summary>Functions every edge-host carries: useful on a real box and handy to check a node end to end.</summary>
public static class BuiltinFunctions
{
    [EdgeFunction("echo", Name = "Echo", MemoryMb = 16, TimeoutSeconds = 5)]
    public static string Echo(string message) => message;

    [EdgeFunction("sensor-stats", Name = "Sensor statistics", MemoryMb = 64, TimeoutSeconds = 5)]
    public static SensorStats SensorStatistics(double[] readings)
    {
        ArgumentNullException.ThrowIfNull(readings);
        if (readings.Length == 0)
        {
            return new SensorStats(0, 0, 0, 0, 0);
        }

        // Welford's update: one pass, numerically stable for long windows of similar values.
        double mean = 0, m2 = 0, min = double.MaxValue, max = double.MinValue;
        for (var i = 0; i < readings.Length; i++)
        {
            var x = readings[i];
            var delta = x - mean;
            mean += delta / (i + 1);
            m2 += delta * (x - mean);
            min = Math.Min(min, x);
            max = Math.Max(max, x);
        }

        return new SensorStats(readings.Length, mean, min, max, Math.Sqrt(m2 / readings.Length));
    }

    [EdgeFunction("threshold-alert", Name = "Threshold alert", MemoryMb = 32, TimeoutSeconds = 5)]
    public static ThresholdAlert ThresholdAlert(double[] readings, double threshold, int minConsecutive = 1)
    {
        ArgumentNullException.ThrowIfNull(readings);
        ArgumentOutOfRangeException.ThrowIfLessThan(minConsecutive, 1);
        int exceeding = 0, run = 0, longest = 0, first = -1;
        var peak = readings.Length == 0 ? 0 : double.MinValue;
        for (var i = 0; i < readings.Length; i++)
        {
            peak = Math.Max(peak, readings[i]);
            if (readings[i] > threshold)
            {
                exceeding++;
                run++;
                longest = Math.Max(longest, run);
                if (run == minConsecutive && first < 0)
                {
                    first = i - minConsecutive + 1;
                }
            }
            else
            {
                run = 0;
            }
        }

        return new ThresholdAlert(first >= 0, exceeding, first, longest, peak);
    }

    [EdgeFunction("frame-summary", Name = "Frame histogram", MemoryMb = 128, TimeoutSeconds = 10, RequiredCapabilities = [])]
    public static FrameSummary FrameSummary(byte[] frame, int bins = 16)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (bins is < 1 or > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(bins), bins, "bins must be from 1 to 256");
        }

        var histogram = new int[bins];
        long sum = 0;
        int min = frame.Length == 0 ? 0 : 255, max = 0;
        foreach (var b in frame)
        {
            histogram[b * bins / 256]++;
            sum += b;
            min = Math.Min(min, b);
            max = Math.Max(max, b);
        }

        return new FrameSummary(frame.Length, histogram, frame.Length == 0 ? 0 : (double)sum / frame.Length, min, max);
    }

    /// <summary>Waits, then returns the milliseconds waited: a probe for latency, timeouts and graceful shutdown.</summary>
    [EdgeFunction("sleep", Name = "Sleep", MemoryMb = 8, TimeoutSeconds = 30)]
    public static async Task<int> Sleep(int milliseconds, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(milliseconds);
        await Task.Delay(milliseconds, cancellationToken);
        return milliseconds;
    }

    [EdgeFunction("downsample", Name = "Downsample", MemoryMb = 64, TimeoutSeconds = 5)]
    public static double[] Downsample(double[] readings, int factor)
    {
        ArgumentNullException.ThrowIfNull(readings);
        if (factor < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(factor), factor, "factor must be at least 1");
        }

        var result = new double[(readings.Length + factor - 1) / factor];
        for (var i = 0; i < result.Length; i++)
        {
            var start = i * factor;
            var end = Math.Min(start + factor, readings.Length);
            double sum = 0;
            for (var j = start; j < end; j++)
            {
                sum += readings[j];
            }

            result[i] = sum / (end - start);
        }

        return result;
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SensorStats))]
[JsonSerializable(typeof(ThresholdAlert))]
[JsonSerializable(typeof(FrameSummary))]
internal sealed partial class BuiltinJsonContext : JsonSerializerContext;
