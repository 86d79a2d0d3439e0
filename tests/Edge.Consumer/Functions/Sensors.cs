using Edge.Runtime;

namespace Edge.Consumer.Functions;

/// <summary>Sensor functions in the shape of the example: sync, ValueTask with a token, arrays, user types.</summary>
public static class Sensors
{
    [EdgeFunction("sensor-stats", MemoryMb = 64, TimeoutSeconds = 2)]
    public static Stats Summarize(double[] readings)
    {
        ArgumentNullException.ThrowIfNull(readings);
        if (readings.Length == 0)
        {
            return new Stats(0, 0, 0, 0);
        }

        double sum = 0, min = double.MaxValue, max = double.MinValue;
        foreach (var r in readings)
        {
            sum += r;
            min = Math.Min(min, r);
            max = Math.Max(max, r);
        }

        return new Stats(readings.Length, sum / readings.Length, min, max);
    }

    [EdgeFunction("process-image", MemoryMb = 256, TimeoutSeconds = 5, RequiredCapabilities = ["camera"])]
    public static async ValueTask<Detection> Detect(Frame frame, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(frame);
        await Task.Yield();
        ct.ThrowIfCancellationRequested();
        var bright = 0;
        foreach (var p in frame.Pixels)
        {
            if (p >= frame.Threshold)
            {
                bright++;
            }
        }

        return new Detection(frame.CameraId, bright > 0 ? "motion" : "none", bright);
    }

    [EdgeFunction("checksum", Name = "Payload checksum")]
    public static uint Checksum(byte[] payload, uint seed = 0)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var hash = 2166136261u ^ seed;
        foreach (var b in payload)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }

    [EdgeFunction("scale")]
    public static Task<int[]> Scale(int[] values, int factor) =>
        Task.FromResult(Array.ConvertAll(values, v => v * factor));

    [EdgeFunction("classify")]
    public static Level Classify(double temperature, Level floor = Level.Low) =>
        temperature switch
        {
            >= 80 => Level.Critical,
            >= 50 => Level.High,
            _ => floor,
        };

    [EdgeFunction("greet")]
    public static string Greet(string name, string? title = null) => title is null ? $"Hello, {name}!" : $"Hello, {title} {name}!";

    [EdgeFunction("record-event")]
    public static void RecordEvent(string kind, int count) => EventLog.Add($"{kind}:{count}");

    [EdgeFunction("slow", TimeoutSeconds = 1)]
    public static async Task<string> Slow(int milliseconds, CancellationToken ct)
    {
        await Task.Delay(milliseconds, ct);
        return "done";
    }

    [EdgeFunction("flush")]
    public static async Task Flush(CancellationToken ct)
    {
        await Task.Yield();
        ct.ThrowIfCancellationRequested();
        EventLog.Add("flushed");
    }
}

/// <summary>Side effects of the void functions, so tests can see them ran.</summary>
public static class EventLog
{
    private static readonly System.Collections.Concurrent.ConcurrentQueue<string> Events = new();

    public static void Add(string entry) => Events.Enqueue(entry);

    public static IReadOnlyList<string> Snapshot() => [.. Events];
}
