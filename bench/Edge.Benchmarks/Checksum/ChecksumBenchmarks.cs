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

    [Params(ChecksumStates.Small, ChecksumStates.Large)]
    public string Size { get; set; } = ChecksumStates.Small;

    [GlobalSetup]
    public void Setup()
    {
        _data = ChecksumStates.Create(Size);
        _canonical = ChecksumStates.Canonical(_data);
        _state = SyncState.FromData(_data, 1, Stamp);
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

    [Benchmark]
    public SyncState FromData_Typed() => SyncState.FromData(_data, 1, Stamp);

    [Benchmark]
    public bool Verify_Typed() => _state.Verify();

    private sealed class ThroughputConfig : ManualConfig
    {
        public ThroughputConfig() => AddColumn(new ThroughputColumn(ChecksumStates.CanonicalLength));
    }
}
