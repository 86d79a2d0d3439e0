using System.Text.Json;

namespace Edge.Runtime;

/// <summary>How <see cref="EdgeSynchronizer.ApplyRemote(SyncState)"/> settles a newer remote state while local changes are unconfirmed.</summary>
public enum ConflictStrategy
{
    /// <summary>The remote state replaces local state.</summary>
    RemoteWins,

    /// <summary>Local state is kept while it has unconfirmed changes.</summary>
    LocalWins,

    /// <summary>The state with the later <see cref="SyncState.UpdatedAt"/> wins.</summary>
    LatestWins,
}

/// <summary>A local change not yet confirmed by the cloud; immutable, its data held as canonical bytes like <see cref="SyncState"/>.</summary>
/// <remarks>Equality compares type, version, timestamp, delta flag and canonical bytes.</remarks>
public sealed record PendingChange
{
    /// <summary>
    /// The <see cref="Type"/> of a full update: <c>"update"</c>, as the reference module writes it. Journals written
    /// before this value stored <c>"full"</c>; they read back as <c>"update"</c> (the type follows <see cref="IsDelta"/>).
    /// </summary>
    public const string FullType = "update";

    /// <summary>The <see cref="Type"/> of a delta update.</summary>
    public const string DeltaType = "delta";

    private readonly byte[] _canonical;
    private string? _checksum;
    private JsonElementBox? _data;

    /// <summary>Creates a change over the canonical form of <paramref name="Data"/> (a JSON object).</summary>
    /// <param name="Type"><see cref="FullType"/> (<c>"update"</c>, the reference module's value) or <see cref="DeltaType"/> (<c>"delta"</c>).</param>
    /// <param name="Version">The local version this change produced.</param>
    /// <param name="Data">The full state, or only the changed top-level keys for a delta.</param>
    /// <param name="Timestamp">When the change was made (UTC).</param>
    /// <param name="IsDelta">True for a delta change.</param>
    public PendingChange(string Type, long Version, JsonElement Data, DateTimeOffset Timestamp, bool IsDelta)
    {
        ArgumentNullException.ThrowIfNull(Type);
        this.Type = Type;
        this.Version = Version;
        _canonical = SyncState.CanonicalizeElement(Data);
        this.Timestamp = Timestamp;
        this.IsDelta = IsDelta;
    }

    /// <summary>A change over bytes that are already canonical; <paramref name="checksum"/> is their MD5 when known (a full update's state checksum).</summary>
    internal PendingChange(string type, long version, byte[] canonical, DateTimeOffset timestamp, bool isDelta, string? checksum = null)
    {
        Type = type;
        Version = version;
        _canonical = canonical;
        Timestamp = timestamp;
        IsDelta = isDelta;
        _checksum = checksum;
    }

    /// <summary><see cref="FullType"/> or <see cref="DeltaType"/>.</summary>
    public string Type { get; init; }

    /// <summary>The local version this change produced.</summary>
    public long Version { get; init; }

    /// <summary>The full state, or only the changed top-level keys for a delta: a JSON object over <see cref="Canonical"/>.</summary>
    public JsonElement Data
    {
        get
        {
            var box = Volatile.Read(ref _data);
            if (box is null)
            {
                box = new JsonElementBox(SyncState.Parse(_canonical));
                box = Interlocked.CompareExchange(ref _data, box, null) ?? box;
            }

            return box.Value;
        }

        init
        {
            _canonical = SyncState.CanonicalizeElement(value);
            _data = null;
            _checksum = null;
        }
    }

    /// <summary>When the change was made (UTC).</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>True for a delta change.</summary>
    public bool IsDelta { get; init; }

    /// <summary>The canonical UTF-8 JSON of <see cref="Data"/>. A full update shares its state's bytes.</summary>
    public ReadOnlyMemory<byte> Canonical => _canonical;

    internal byte[] CanonicalArray => _canonical;

    /// <summary>The reference-compatible MD5 of <see cref="Canonical"/> (for a full update, its state's checksum; otherwise hashed once, on first use).</summary>
    internal string DataChecksum => _checksum ??= StateChecksum.Compute(_canonical);

    /// <summary>Type, version, timestamp, delta flag and canonical bytes are equal.</summary>
    public bool Equals(PendingChange? other) =>
        other is not null
        && Version == other.Version
        && IsDelta == other.IsDelta
        && Timestamp.Equals(other.Timestamp)
        && string.Equals(Type, other.Type, StringComparison.Ordinal)
        && _canonical.AsSpan().SequenceEqual(other._canonical);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Type, Version, Timestamp, IsDelta, _canonical.Length);

    /// <summary>Deconstructs the change as its positional form.</summary>
    public void Deconstruct(out string Type, out long Version, out JsonElement Data, out DateTimeOffset Timestamp, out bool IsDelta)
    {
        Type = this.Type;
        Version = this.Version;
        Data = this.Data;
        Timestamp = this.Timestamp;
        IsDelta = this.IsDelta;
    }

    private sealed class JsonElementBox(JsonElement value)
    {
        public JsonElement Value { get; } = value;
    }
}

/// <summary>What a <see cref="SyncEvent"/> records.</summary>
public enum SyncAction
{
    /// <summary>A local full update.</summary>
    LocalUpdate,

    /// <summary>A local delta update.</summary>
    LocalDelta,

    /// <summary>A remote state was applied.</summary>
    RemoteApplied,

    /// <summary>A remote state was refused.</summary>
    RemoteRejected,

    /// <summary>Pending changes were confirmed.</summary>
    Confirmed,
}

/// <summary>One entry of the synchronizer's history.</summary>
/// <param name="Timestamp">When it happened (UTC).</param>
/// <param name="Action">What happened.</param>
/// <param name="Version">The version involved (the confirmed-up-to version for <see cref="SyncAction.Confirmed"/>).</param>
/// <param name="Detail">Why, for refusals; what, otherwise.</param>
public sealed record SyncEvent(DateTimeOffset Timestamp, SyncAction Action, long Version, string Detail);

/// <summary>A snapshot of the synchronizer's counters.</summary>
public sealed record SyncSummary(
    long LocalVersion,
    long RemoteVersion,
    int PendingCount,
    bool IsSynced,
    ConflictStrategy Strategy,
    long LocalUpdates,
    long RemoteApplied,
    long RemoteRejected,
    long ConfirmedChanges,
    long DroppedChanges);
