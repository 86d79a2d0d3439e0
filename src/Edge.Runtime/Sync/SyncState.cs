using System.Text.Json;
using System.Text.Json.Nodes;

namespace Edge.Runtime;

/// <summary>
/// A versioned, immutable snapshot of node state. The canonical UTF-8 bytes (<see cref="Canonical"/>, Python's
/// <c>json.dumps(data, sort_keys=True)</c>) are the state; <see cref="Data"/> is a <see cref="JsonElement"/> over them,
/// materialized on first access. <see cref="Checksum"/> is what the state claims: computed once for states made here,
/// carried for states that arrive; <see cref="Verify"/> compares it with the MD5 of the bytes.
/// </summary>
/// <remarks>
/// The constructor and <c>with { Data = … }</c> canonicalize the element they are given, so <see cref="Canonical"/>
/// always matches <see cref="Data"/>. Equality compares version, checksum, timestamp and canonical bytes.
/// </remarks>
public sealed record SyncState
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

    private readonly byte[] _canonical;

    // Caches over the immutable bytes (benign races: every thread computes the same value).
    private string? _actualChecksum;
    private JsonElementBox? _data;
    private StateSegments? _segments;

    /// <summary>Creates a state over the canonical form of <paramref name="Data"/> (a JSON object), claiming <paramref name="Checksum"/>.</summary>
    /// <param name="Version">Monotonic version shared by the node and the cloud: <see cref="MinVersion"/> to <see cref="MaxVersion"/> (0 means "no state yet").</param>
    /// <param name="Data">The state: a JSON object. Its canonical bytes are made here; the element is not kept.</param>
    /// <param name="Checksum">The claimed lowercase hex MD5 of the canonical JSON of <paramref name="Data"/> (kept as given; see <see cref="Verify"/>).</param>
    /// <param name="UpdatedAt">When this version was made (UTC).</param>
    /// <exception cref="ArgumentException"><paramref name="Data"/> is not a JSON object, or holds what the canonical form cannot (duplicate keys, invalid text).</exception>
    public SyncState(long Version, JsonElement Data, string Checksum, DateTimeOffset UpdatedAt)
    {
        ArgumentNullException.ThrowIfNull(Checksum);
        this.Version = Version;
        _canonical = CanonicalizeElement(Data);
        this.Checksum = Checksum;
        this.UpdatedAt = UpdatedAt;
    }

    /// <summary>A state over bytes that are already canonical (made by the canonical writer, a merge, or the journal).</summary>
    internal SyncState(byte[] canonical, string checksum, long version, DateTimeOffset updatedAt, string? actualChecksum = null, StateSegments? segments = null)
    {
        _canonical = canonical;
        Checksum = checksum;
        Version = version;
        UpdatedAt = updatedAt;
        _actualChecksum = actualChecksum;
        _segments = segments;
    }

    /// <summary>Monotonic version shared by the node and the cloud: <see cref="MinVersion"/> to <see cref="MaxVersion"/> (0 means "no state yet").</summary>
    public long Version { get; init; }

    /// <summary>The state, a JSON object over <see cref="Canonical"/> (parsed on first access). Setting it (<c>with</c>) canonicalizes the new element.</summary>
    public JsonElement Data
    {
        get
        {
            var box = Volatile.Read(ref _data);
            if (box is null)
            {
                box = new JsonElementBox(Parse(_canonical));
                box = Interlocked.CompareExchange(ref _data, box, null) ?? box;
            }

            return box.Value;
        }

        init
        {
            _canonical = CanonicalizeElement(value);
            _data = null;
            _actualChecksum = null;
            _segments = null;
        }
    }

    /// <summary>The claimed lowercase hex MD5 of <see cref="Canonical"/>.</summary>
    public string Checksum { get; init; }

    /// <summary>When this version was made (UTC).</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>The canonical UTF-8 JSON of <see cref="Data"/>: what is hashed, journaled and sent.</summary>
    public ReadOnlyMemory<byte> Canonical => _canonical;

    /// <summary>The canonical bytes, for code that only reads them.</summary>
    internal byte[] CanonicalArray => _canonical;

    /// <summary>The top-level members' byte ranges (found on first use, or given by the merge that made the state).</summary>
    internal StateSegments Segments
    {
        get
        {
            var segments = Volatile.Read(ref _segments);
            if (segments is null)
            {
                segments = StateSegments.Scan(_canonical);
                segments = Interlocked.CompareExchange(ref _segments, segments, null) ?? segments;
            }

            return segments;
        }
    }

    /// <summary>Creates a state over the canonical form of <paramref name="data"/> (read once, never kept), stamped now.</summary>
    /// <exception cref="ArgumentException"><paramref name="data"/> holds NaN or an infinity (the message names its JSON path).</exception>
    public static SyncState FromData(JsonObject data, long version) => FromData(data, version, DateTimeOffset.UtcNow);

    /// <summary>Creates a state over the canonical form of <paramref name="data"/> (read once, never kept) with the given timestamp.</summary>
    /// <exception cref="ArgumentException"><paramref name="data"/> holds NaN or an infinity (the message names its JSON path).</exception>
    public static SyncState FromData(JsonObject data, long version, DateTimeOffset updatedAt)
    {
        ArgumentNullException.ThrowIfNull(data);
        return FromCanonical(CanonicalJson.CanonicalizeNode(data), version, updatedAt.ToUniversalTime());
    }

    /// <summary>Creates a state over the canonical form of <paramref name="data"/> (a JSON object), stamped now.</summary>
    public static SyncState FromData(JsonElement data, long version) => FromData(data, version, DateTimeOffset.UtcNow);

    /// <summary>Creates a state over the canonical form of <paramref name="data"/> (a JSON object) with the given timestamp.</summary>
    /// <exception cref="ArgumentException"><paramref name="data"/> is not a JSON object.</exception>
    public static SyncState FromData(JsonElement data, long version, DateTimeOffset updatedAt) =>
        FromCanonical(CanonicalizeElement(data), version, updatedAt.ToUniversalTime());

    /// <summary>Creates a state from UTF-8 JSON text (one object), canonicalized straight from the text (no DOM), stamped now.</summary>
    public static SyncState FromJson(ReadOnlySpan<byte> utf8Json, long version) => FromJson(utf8Json, version, DateTimeOffset.UtcNow);

    /// <summary>Creates a state from UTF-8 JSON text (one object), canonicalized straight from the text (no DOM).</summary>
    /// <exception cref="ArgumentException">The text is not one JSON object, is malformed, or holds duplicate keys or invalid UTF-8.</exception>
    public static SyncState FromJson(ReadOnlySpan<byte> utf8Json, long version, DateTimeOffset updatedAt) =>
        FromCanonical(CanonicalJson.CanonicalizeObject(utf8Json), version, updatedAt.ToUniversalTime());

    /// <summary>True when <see cref="Checksum"/> is the MD5 of <see cref="Canonical"/> (in any case). One MD5 per state at most.</summary>
    public bool Verify()
    {
        var actual = _actualChecksum ??= StateChecksum.Compute(_canonical);
        return string.Equals(actual, Checksum, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Version, checksum, timestamp and canonical bytes are equal.</summary>
    public bool Equals(SyncState? other) =>
        other is not null
        && Version == other.Version
        && UpdatedAt.Equals(other.UpdatedAt)
        && string.Equals(Checksum, other.Checksum, StringComparison.Ordinal)
        && _canonical.AsSpan().SequenceEqual(other._canonical);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Version, UpdatedAt, Checksum, _canonical.Length);

    /// <summary>Deconstructs the state as its positional form.</summary>
    public void Deconstruct(out long Version, out JsonElement Data, out string Checksum, out DateTimeOffset UpdatedAt)
    {
        Version = this.Version;
        Data = this.Data;
        Checksum = this.Checksum;
        UpdatedAt = this.UpdatedAt;
    }

    internal static SyncState FromCanonical(byte[] canonical, long version, DateTimeOffset updatedAt)
    {
        var checksum = StateChecksum.Compute(canonical);
        return new SyncState(canonical, checksum, version, updatedAt, checksum);
    }

    internal static byte[] CanonicalizeElement(JsonElement data)
    {
        if (data.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"State data must be a JSON object, got {(data.ValueKind == JsonValueKind.Undefined ? "no value" : data.ValueKind.ToString().ToLowerInvariant())}.", nameof(data));
        }

        return CanonicalJson.CanonicalizeObject(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(data));
    }

    /// <summary>A JSON element over canonical bytes (which the canonical writer made, so they parse).</summary>
    internal static JsonElement Parse(byte[] canonical)
    {
        var reader = new Utf8JsonReader(canonical, new JsonReaderOptions { MaxDepth = JsonLimits.SerializerDepth });
        return JsonElement.ParseValue(ref reader);
    }

    private sealed class JsonElementBox(JsonElement value)
    {
        public JsonElement Value { get; } = value;
    }
}
