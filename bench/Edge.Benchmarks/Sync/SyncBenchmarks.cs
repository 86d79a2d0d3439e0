using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Edge.Benchmarks.Checksum;
using Edge.Runtime;

namespace Edge.Benchmarks.Sync;

/// <summary>
/// The in-memory synchronizer (no store) on a 10-key state. The baseline is the work any synchronizer must do for a
/// full update: take a lock, deep-copy the data, checksum it.
/// </summary>
[MemoryDiagnoser]
public class SyncBenchmarks
{
    private const int ContendedUpdatesPerThread = 256;

    private readonly Lock _baselineLock = new();
    private JsonObject _state = null!;
    private JsonObject _delta = null!;
    private EdgeSynchronizer _updates = null!;
    private EdgeSynchronizer _remote = null!;
    private EdgeSynchronizer _pending = null!;
    private SyncState _remoteState = null!;
    private long _remoteVersion;

    [GlobalSetup]
    public void Setup()
    {
        _state = ChecksumStates.SmallState();
        _delta = new JsonObject { ["temperature"] = 22.75, ["sequence"] = 123456790 };

        _updates = new EdgeSynchronizer(maxPending: 100);
        _updates.UpdateLocal(_state);

        _remote = new EdgeSynchronizer(ConflictStrategy.RemoteWins);
        _remoteState = SyncState.FromData(_state, 1);
        _remoteVersion = 0;

        _pending = new EdgeSynchronizer(maxPending: 100);
        for (var i = 0; i < 100; i++)
        {
            _pending.UpdateLocal(_state);
        }

        if (_pending.PendingCount != 100 || !ApplyRemote_Typed() || UpdateLocal_Delta().Data.GetProperty("temperature").GetDouble() != 22.75)
        {
            throw new InvalidOperationException("Synchronizer set-up is not what the benchmarks assume.");
        }
    }

    [Benchmark(Baseline = true)]
    public string UpdateLocal_Baseline()
    {
        lock (_baselineLock)
        {
            var copy = _state.DeepClone().AsObject();
            return StateChecksum.Compute(copy);
        }
    }

    [Benchmark]
    public SyncState UpdateLocal_Small() => _updates.UpdateLocal(_state);

    [Benchmark]
    public SyncState UpdateLocal_Delta() => _updates.UpdateLocal(_delta, isDelta: true);

    /// <summary>A verified, newer remote state each time (RemoteWins); the version bump is a record copy.</summary>
    [Benchmark]
    public bool ApplyRemote_Typed() => _remote.ApplyRemote(_remoteState with { Version = ++_remoteVersion });

    [Benchmark]
    public int GetPendingChanges_100() => _pending.GetPendingChanges().Count;

    /// <summary>Two threads updating one synchronizer; Mean is per update.</summary>
    [Benchmark(OperationsPerInvoke = 2 * ContendedUpdatesPerThread)]
    public void UpdateLocal_Contended2()
    {
        var other = Task.Run(UpdateMany);
        UpdateMany();
        other.GetAwaiter().GetResult();
    }

    private void UpdateMany()
    {
        for (var i = 0; i < ContendedUpdatesPerThread; i++)
        {
            _updates.UpdateLocal(_state);
        }
    }
}
