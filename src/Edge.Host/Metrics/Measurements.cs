using System.Diagnostics.Metrics;

namespace Edge.Host.Metrics;

/// <summary>Helpers for the host's observable instruments.</summary>
internal static class Measurements
{
    /// <summary>A meter from <paramref name="factory"/> (scoped to its host), or a meter of its own when there is none.</summary>
    public static Meter Create(IMeterFactory? factory, string name) => factory?.Create(name) ?? new Meter(name);

    /// <summary>One counter value per tag value, e.g. rejected messages by reason.</summary>
    public static Measurement<long>[] By(string tag, params ReadOnlySpan<(string Value, long Count)> parts)
    {
        var measurements = new Measurement<long>[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            measurements[i] = new Measurement<long>(parts[i].Count, new KeyValuePair<string, object?>(tag, parts[i].Value));
        }

        return measurements;
    }
}
