using System.Text.Json;
using System.Text.Json.Serialization;
using Edge.Runtime;

[assembly: EdgeJsonContext(typeof(Edge.Host.App.Functions.BuiltinJsonContext))]

namespace Edge.Host.App.Functions;

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
/// <remarks>
/// Every built-in checks its arguments and refuses a bad one with an <see cref="EdgeBindingException"/> naming the
/// parameter and the problem in English. The runtime passes that exception through unwrapped (typed and JSON paths) and
/// the HTTP API answers it with 400, while anything else a handler throws stays a 500 (<see cref="EdgeExecutionException"/>).
/// Readings must be finite numbers wherever they are taken: a NaN or infinity has no JSON form for the result.
/// </remarks>
public static class BuiltinFunctions
{
    /// <summary>Returns <paramref name="message"/> unchanged.</summary>
    /// <exception cref="EdgeBindingException"><paramref name="message"/> is null.</exception>
    [EdgeFunction("echo", Name = "Echo", MemoryMb = 16, TimeoutSeconds = 5)]
    public static string Echo(string message) => message ?? throw Bad("echo", nameof(message), "must not be null");

    /// <summary>Count, mean, min, max and population standard deviation of <paramref name="readings"/> (one pass, Welford).</summary>
    /// <exception cref="EdgeBindingException">
    /// <paramref name="readings"/> is null or empty (mean, min, max and standard deviation of nothing are undefined), or
    /// holds a NaN or infinity.
    /// </exception>
    [EdgeFunction("sensor-stats", Name = "Sensor statistics", MemoryMb = 64, TimeoutSeconds = 5)]
    public static SensorStats SensorStatistics(double[] readings)
    {
        const string Id = "sensor-stats";
        CheckReadings(Id, readings);
        if (readings.Length == 0)
        {
            throw Bad(Id, nameof(readings), "must hold at least one reading: mean, min, max and stdDev of an empty window are undefined");
        }

        double min = double.MaxValue, max = double.MinValue;
        foreach (var x in readings)
        {
            min = Math.Min(min, x);
            max = Math.Max(max, x);
        }

        // Readings near the ends of the double range would overflow the deltas and squares: compute on a scaled copy
        // (exact powers of two, so nothing is lost) and scale back. Ordinary readings take the unscaled path unchanged.
        var largest = Math.Max(Math.Abs(min), Math.Abs(max));
        var scale = largest > 1e100 ? Math.ScaleB(1.0, Math.ILogB(largest)) : 1.0;

        // Welford's update: one pass, numerically stable for long windows of similar values.
        double mean = 0, m2 = 0;
        for (var i = 0; i < readings.Length; i++)
        {
            var x = readings[i] / scale;
            var delta = x - mean;
            mean += delta / (i + 1);
            m2 += delta * (x - mean);
        }

        return new SensorStats(readings.Length, mean * scale, min, max, Math.Sqrt(m2 / readings.Length) * scale);
    }

    /// <summary>
    /// Whether at least <paramref name="minConsecutive"/> readings in a row exceed <paramref name="threshold"/>. An empty
    /// window, or one shorter than <paramref name="minConsecutive"/>, is valid and simply does not trigger.
    /// </summary>
    /// <exception cref="EdgeBindingException">
    /// <paramref name="readings"/> is null or holds a NaN or infinity; <paramref name="threshold"/> is NaN;
    /// <paramref name="minConsecutive"/> is below 1.
    /// </exception>
    [EdgeFunction("threshold-alert", Name = "Threshold alert", MemoryMb = 32, TimeoutSeconds = 5)]
    public static ThresholdAlert ThresholdAlert(double[] readings, double threshold, int minConsecutive = 1)
    {
        const string Id = "threshold-alert";
        CheckReadings(Id, readings);
        if (double.IsNaN(threshold))
        {
            throw Bad(Id, nameof(threshold), "must be a number, not NaN");
        }

        if (minConsecutive < 1)
        {
            throw Bad(Id, nameof(minConsecutive), $"must be at least 1 (got {minConsecutive})");
        }

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

    /// <summary>
    /// A histogram of the byte values of <paramref name="frame"/> in <paramref name="bins"/> equal bins, with the mean,
    /// min and max byte. An empty frame is valid: all counts and statistics are 0.
    /// </summary>
    /// <exception cref="EdgeBindingException"><paramref name="frame"/> is null; <paramref name="bins"/> is not from 1 to 256.</exception>
    [EdgeFunction("frame-summary", Name = "Frame histogram", MemoryMb = 128, TimeoutSeconds = 10, RequiredCapabilities = [])]
    public static FrameSummary FrameSummary(byte[] frame, int bins = 16)
    {
        const string Id = "frame-summary";
        if (frame is null)
        {
            throw Bad(Id, nameof(frame), "must not be null");
        }

        if (bins is < 1 or > 256)
        {
            throw Bad(Id, nameof(bins), $"must be from 1 to 256 (got {bins})");
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

    /// <summary>
    /// Waits, then returns the milliseconds waited: a probe for latency, timeouts and graceful shutdown. A wait longer
    /// than the function's timeout is valid: it is how a timeout is probed (the runtime answers it as a timeout).
    /// </summary>
    /// <exception cref="EdgeBindingException"><paramref name="milliseconds"/> is negative.</exception>
    [EdgeFunction("sleep", Name = "Sleep", MemoryMb = 8, TimeoutSeconds = 30)]
    public static async Task<int> Sleep(int milliseconds, CancellationToken cancellationToken)
    {
        if (milliseconds < 0)
        {
            throw Bad("sleep", nameof(milliseconds), $"must not be negative (got {milliseconds})");
        }

        await Task.Delay(milliseconds, cancellationToken);
        return milliseconds;
    }

    /// <summary>
    /// Averages each run of <paramref name="factor"/> consecutive readings into one value (the last run may be shorter),
    /// so n readings become ceil(n / factor). Factor 1 returns the readings; factor n returns their mean.
    /// </summary>
    /// <exception cref="EdgeBindingException">
    /// <paramref name="readings"/> is null, empty (there is nothing to downsample) or holds a NaN or infinity;
    /// <paramref name="factor"/> is below 1 or above the number of readings (no run could be filled).
    /// </exception>
    [EdgeFunction("downsample", Name = "Downsample", MemoryMb = 64, TimeoutSeconds = 5)]
    public static double[] Downsample(double[] readings, int factor)
    {
        const string Id = "downsample";
        CheckReadings(Id, readings);
        if (readings.Length == 0)
        {
            throw Bad(Id, nameof(readings), "must hold at least one reading");
        }

        if (factor < 1)
        {
            throw Bad(Id, nameof(factor), $"must be at least 1 (got {factor})");
        }

        if (factor > readings.Length)
        {
            throw Bad(Id, nameof(factor), $"must not exceed the number of readings ({readings.Length}), got {factor}");
        }

        var result = new double[(readings.Length - 1) / factor + 1];
        for (var i = 0; i < result.Length; i++)
        {
            var start = i * factor;
            var end = Math.Min(start + factor, readings.Length);
            double sum = 0;
            for (var j = start; j < end; j++)
            {
                sum += readings[j];
            }

            var mean = sum / (end - start);
            if (!double.IsFinite(mean))
            {
                // The sum of finite readings overflowed: their mean is finite, so sum the shares instead.
                mean = 0;
                for (var j = start; j < end; j++)
                {
                    mean += readings[j] / (end - start);
                }
            }

            result[i] = mean;
        }

        return result;
    }

    private static void CheckReadings(string functionId, double[] readings)
    {
        if (readings is null)
        {
            throw Bad(functionId, nameof(readings), "must not be null");
        }

        for (var i = 0; i < readings.Length; i++)
        {
            if (!double.IsFinite(readings[i]))
            {
                throw Bad(functionId, nameof(readings), $"reading {i} is {readings[i].ToString(System.Globalization.CultureInfo.InvariantCulture)}: every reading must be a finite number");
            }
        }
    }

    private static EdgeBindingException Bad(string functionId, string parameter, string problem) => new(functionId, parameter, problem);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(SensorStats))]
[JsonSerializable(typeof(ThresholdAlert))]
[JsonSerializable(typeof(FrameSummary))]
internal sealed partial class BuiltinJsonContext : JsonSerializerContext;
