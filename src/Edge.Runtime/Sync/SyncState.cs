using System.Text.Json.Nodes;

namespace Edge.Runtime;

/// <summary>A versioned snapshot of node state with its reference-compatible checksum.</summary>
/// <param name="Version">Monotonic version shared by the node and the cloud.</param>
/// <param name="Data">The state. Treat as read-only: the checksum covers it.</param>
/// <param name="Checksum">Lowercase hex MD5 of the canonical JSON of <paramref name="Data"/>.</param>
/// <param name="UpdatedAt">When this version was made (UTC).</param>
public sealed record SyncState(long Version, JsonObject Data, string Checksum, DateTimeOffset UpdatedAt)
{
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
