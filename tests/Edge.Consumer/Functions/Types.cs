using System.Text.Json.Serialization;
using Edge.Runtime;

[assembly: EdgeJsonContext(typeof(Edge.Consumer.Functions.ConsumerJsonContext))]

namespace Edge.Consumer.Functions;

public sealed record Stats(int Count, double Mean, double Min, double Max);

public sealed record Frame(string CameraId, int[] Pixels, int Threshold);

public sealed record Detection(string CameraId, string Label, int BrightPixels);

public enum Level
{
    Low,
    High,
    Critical,
}

[JsonSerializable(typeof(Stats))]
[JsonSerializable(typeof(Frame))]
[JsonSerializable(typeof(Detection))]
public sealed partial class ConsumerJsonContext : JsonSerializerContext;
