using System.Security.Cryptography;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Edge.Benchmarks.Checksum;
using Edge.Runtime;

namespace Edge.Benchmarks.Sync;

/// <summary>
/// A one-small-key delta on a ~1 MB state, in memory, beside the raw MD5 of that state's canonical bytes (the
/// inherent cost: the spec's checksum covers the whole state). Target: delta <= 1.5x the baseline.
/// </summary>
[MemoryDiagnoser]
public class SyncLargeBenchmarks
{
    private readonly byte[] _hash = new byte[MD5.HashSizeInBytes];
    private EdgeSynchronizer _sync = null!;
    private byte[] _canonical = null!;
    private JsonObject _delta = null!;
    private byte[] _deltaJson = null!;

    [GlobalSetup]
    public void Setup()
    {
        _sync = new EdgeSynchronizer(maxPending: 100);
        var state = _sync.UpdateLocal(ChecksumStates.LargeState());
        _canonical = state.Canonical.ToArray();
        _delta = new JsonObject { ["sensor-05000"] = new JsonObject { ["value"] = 21.5, ["ok"] = true } };
        _deltaJson = """{"sensor-05000":{"value":21.5,"ok":true}}"""u8.ToArray();
        var after = _sync.UpdateLocal(_delta, isDelta: true);
        if (!after.Verify() || after.Canonical.Length < _canonical.Length - 200)
        {
            throw new InvalidOperationException("Delta set-up is not what the benchmark assumes.");
        }
    }

    [Benchmark(Baseline = true)]
    public byte[] Md5_State_Baseline()
    {
        MD5.HashData(_canonical, _hash);
        return _hash;
    }

    [Benchmark]
    public SyncState UpdateLocal_Delta_1MB() => _sync.UpdateLocal(_delta, isDelta: true);

    [Benchmark]
    public SyncState UpdateLocalJson_Delta_1MB() => _sync.UpdateLocalJson(_deltaJson, isDelta: true);
}
