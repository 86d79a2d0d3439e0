using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Edge.Runtime;

namespace Edge.Benchmarks.Checksum;

/// <summary>The states the checksum and sync benchmarks hash: a 10-key device state and a ~1 MB fleet reading.</summary>
public static class ChecksumStates
{
    public const string Small = "small-10-keys";
    public const string Large = "large-1MB";

    private static readonly Dictionary<string, int> CanonicalLengths = [];

    /// <summary>A 10-key state as a device keeps it: strings, ints, floats, a bool, a list and a nested object.</summary>
    public static JsonObject SmallState() => new()
    {
        ["device"] = "sensor-hub-07",
        ["firmware"] = "2.4.1",
        ["temperature"] = 21.5,
        ["humidity"] = 40.25,
        ["pressure"] = 1013,
        ["online"] = true,
        ["location"] = "dock-3",
        ["sequence"] = 123456789,
        ["tags"] = new JsonArray("edge", "cold-chain", "eu-west"),
        ["limits"] = new JsonObject { ["min"] = -5.0, ["max"] = 30.0 },
    };

    /// <summary>
    /// About 1 MB of canonical JSON: per-sensor objects with floats, ints, strings and bools, parsed from JSON text as
    /// the host receives a state (PUT /v1/state), so values are JsonElement-backed.
    /// </summary>
    public static JsonObject LargeState()
    {
        var text = new StringBuilder(1_200_000);
        text.Append('{');
        var random = new Random(7);
        for (var i = 0; i < 10_800; i++)
        {
            if (i > 0)
            {
                text.Append(',');
            }

            text.Append(CultureInfo.InvariantCulture,
                $"\"sensor-{i:D5}\":{{\"value\":{Math.Round(random.NextDouble() * 100, 3).ToString("R", CultureInfo.InvariantCulture)},\"seq\":{random.Next()},\"unit\":\"C\",\"ok\":{(i % 17 != 0 ? "true" : "false")},\"zone\":\"zone-{i % 32}\"}}");
        }

        text.Append('}');
        return JsonNode.Parse(text.ToString())!.AsObject();
    }

    public static JsonObject Create(string size) => size switch
    {
        Small => SmallState(),
        Large => LargeState(),
        _ => throw new ArgumentOutOfRangeException(nameof(size), size, "unknown state size"),
    };

    /// <summary>The canonical (checksummed) byte length of a state, for throughput figures.</summary>
    public static int CanonicalLength(string size)
    {
        lock (CanonicalLengths)
        {
            if (!CanonicalLengths.TryGetValue(size, out var length))
            {
                CanonicalLengths[size] = length = Canonical(Create(size)).Length;
            }

            return length;
        }
    }

    public static byte[] Canonical(JsonObject state)
    {
        var buffer = new ArrayBufferWriter<byte>();
        CanonicalJson.Write(state, buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
