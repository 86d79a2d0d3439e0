using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Edge.Runtime;

namespace Edge.Benchmarks.Checksum;

/// <summary>
/// The reference-compatible state checksum against raw MD5 over the same canonical bytes. The MB/s column divides the
/// canonical byte count by the mean, so FromData and Md5_Baseline throughput compare directly.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ThroughputConfig))]
public class ChecksumBenchmarks
{
    private static readonly DateTimeOffset Stamp = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly byte[] _hash = new byte[MD5.HashSizeInBytes];
    private readonly ArrayBufferWriter<byte> _canonicalBuffer = new();
    private JsonObject _data = null!;
    private byte[] _canonical = null!;
    private SyncState _state = null!;
    private byte[] _json = null!;

    [Params(ChecksumStates.Small, ChecksumStates.Large)]
    public string Size { get; set; } = ChecksumStates.Small;

    [GlobalSetup]
    public void Setup()
    {
        _data = ChecksumStates.Create(Size);
        _canonical = ChecksumStates.Canonical(_data);
        _state = SyncState.FromData(_data, 1, Stamp);
        // The body as a client sends it: compact, not canonical. The large state's text keeps its insertion order (inner
        // keys out of order); the small one is built from CLR doubles, whose default JSON text (30.0 -> "30") would be
        // an integer, so its body is the compact form of its canonical text (floats written as floats, as a client would).
        _json = System.Text.Encoding.UTF8.GetBytes(Size == ChecksumStates.Large ? _data.ToJsonString() : JsonNode.Parse(_canonical)!.ToJsonString());
        if (SyncState.FromJson(_json, 1, Stamp) != _state)
        {
            throw new InvalidOperationException("FromJson and FromData disagree.");
        }
        if (!_state.Verify() || _state.Checksum != Convert.ToHexStringLower(MD5.HashData(_canonical)))
        {
            throw new InvalidOperationException("The state checksum is not MD5 of the canonical bytes.");
        }
    }

    [Benchmark(Baseline = true)]
    public byte[] Md5_Baseline()
    {
        MD5.HashData(_canonical, _hash);
        return _hash;
    }

    /// <summary>
    /// The managed MD5 that <see cref="StateChecksum"/> uses up to <see cref="SmallMd5.Threshold"/> bytes: faster than the
    /// OpenSSL call on the small state, slower on the large one (which is why the switch exists).
    /// </summary>
    [Benchmark]
    public byte[] Md5_Managed()
    {
        SmallMd5.HashData(_canonical, _hash);
        return _hash;
    }

    /// <summary>
    /// A bare <see cref="System.Text.Json.Utf8JsonReader"/> pass over the body FromJson reads (no output): the floor of
    /// any reader-based canonicalizer. FromJson's throughput against MD5 cannot exceed MD5 / (MD5 + this).
    /// </summary>
    [Benchmark]
    public int Reader_Walk()
    {
        var reader = new System.Text.Json.Utf8JsonReader(_json);
        var tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }

        return tokens;
    }

    /// <summary>Canonical JSON only (no copy, no hash): where FromData's time goes beyond MD5.</summary>
    [Benchmark]
    public int Canonical_Write()
    {
        _canonicalBuffer.ResetWrittenCount();
        CanonicalJson.Write(_data, _canonicalBuffer);
        return _canonicalBuffer.WrittenCount;
    }

    /// <summary>Canonical JSON + MD5 + hex, no deep copy.</summary>
    [Benchmark]
    public string StateChecksum_Compute() => StateChecksum.Compute(_data);

    /// <summary>From a JsonObject (the spec's form): read once, canonicalized from the nodes, hashed once.</summary>
    [Benchmark]
    public SyncState FromData_Typed() => SyncState.FromData(_data, 1, Stamp);

    /// <summary>From UTF-8 JSON text (HTTP and MQTT bodies): canonicalized straight from the reader, no DOM, hashed once.</summary>
    [Benchmark]
    public SyncState FromJson_Utf8() => SyncState.FromJson(_json, 1, Stamp);

    /// <summary>Verify of a state that arrived with a claimed checksum: one MD5 of its bytes and a compare.</summary>
    [Benchmark]
    public bool Verify_Typed() => new SyncState(_canonical, _state.Checksum, 1, Stamp).Verify();

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new ThroughputColumn(ChecksumStates.CanonicalLength));
    }
}
