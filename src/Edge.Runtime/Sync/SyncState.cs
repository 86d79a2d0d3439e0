using System.Text.Json.Nodes;

namespace Edge.Runtime;

/// <summary>A versioned snapshot of node state with its reference-compatible checksum.</summary>
/// <param name="Version">Monotonic version shared by the node and the cloud: <see cref="MinVersion"/> to <see cref="MaxVersion"/> (0 means "no state yet").</param>
/// <param name="Data">The state. Treat as read-only: the checksum covers it.</param>
/// <param name="Checksum">Lowercase hex MD5 of the canonical JSON of <paramref name="Data"/>.</param>
/// <param name="UpdatedAt">When this version was made (UTC).</param>
public sealed record SyncState(long Version, JsonObject Data, string Checksum, DateTimeOffset UpdatedAt)
{
    /// <summary>The lowest version a state can have; 0 is kept for "no state yet".</summary>
    public const long MinVersion = 1;

    /// <summary>
    /// The highest version a state can have: 2^53-1. Versions travel as JSON numbers, and peers in many languages
    /// (JavaScript, and any JSON parser that reads numbers as IEEE doubles) read integers exactly only up to 2^53-1; a
    /// larger version would be rounded there, so two different versions could read as the same one.
    /// <see cref="EdgeSynchronizer.ApplyRemote(SyncState)"/> refuses states beyond it, and local updates stop at it
    /// (<see cref="SyncVersionExhaustedException"/>) rather than wrap.
    /// </summary>
    public const long MaxVersion = 9_007_199_254_740_991;

    /// <summary>Creates a state over a deep copy of <paramref name="data"/>, stamped now.</summary>
    public static SyncState FromData(JsonObject data, long version) => FromData(data, version, DateTimeOffset.UtcNow);

    /// <summary>Creates a state over a deep copy of <paramref name="data"/> with the given timestamp.</summary>
    public static SyncState FromData(JsonObject data, long version, DateTimeOffset updatedAt)
    {
        ArgumentNullException.ThrowIfNull(data);
        var copy = data.DeepClone().AsObject();
        return new SyncState(version, copy, StateChecksum.Compute(copy), updatedAt.ToUniversalTime());
    }

    /// <summary>True when <see cref="Checksum"/> matches <see cref="Data"/>.</summary>
    public bool Verify() =>
        Data is not null && Checksum is not null && string.Equals(StateChecksum.Compute(Data), Checksum, StringComparison.OrdinalIgnoreCase);
}
