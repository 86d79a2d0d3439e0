using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using Edge.Benchmarks.Checksum;
using Edge.Runtime;

namespace Edge.Benchmarks.Journal;

/// <summary>
/// UpdateLocal on a 10-key state: in memory (baseline) vs durable through <see cref="FileSyncStore"/>, fsynced per write
/// or by group commit, with one and four writers. The store lives under the temp directory, i.e. on the real disk; the
/// durable figures are the disk's fsync latency plus the journal's own cost. Compaction runs at its default interval.
/// </summary>
[MemoryDiagnoser]
public class JournalUpdateBenchmarks
{
    private const int Writers = 4;
    private const int UpdatesPerWriter = 32;

    private JsonObject _state = null!;
    private EdgeSynchronizer _memory = null!;
    private (string Dir, FileSyncStore Store, EdgeSynchronizer Sync) _perWrite;
    private (string Dir, FileSyncStore Store, EdgeSynchronizer Sync) _group;

    [GlobalSetup]
    public void Setup()
    {
        _state = ChecksumStates.SmallState();
        _memory = new EdgeSynchronizer();
        _perWrite = Open(JournalDurability.PerWrite);
        _group = Open(JournalDurability.GroupCommit);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var (dir, store, _) in new[] { _perWrite, _group })
        {
            store.Dispose();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Benchmark(Baseline = true)]
    public SyncState UpdateLocal_InMemory() => _memory.UpdateLocal(_state);

    [Benchmark]
    public SyncState UpdateLocal_PerWrite() => _perWrite.Sync.UpdateLocal(_state);

    [Benchmark]
    public SyncState UpdateLocal_GroupCommit_1Writer() => _group.Sync.UpdateLocal(_state);

    /// <summary>Four threads updating one node; Mean is per update.</summary>
    [Benchmark(OperationsPerInvoke = Writers * UpdatesPerWriter)]
    public void UpdateLocal_GroupCommit_4Writers() => RunWriters(_group.Sync);

    /// <summary>The same four writers with an fsync each: what group commit saves.</summary>
    [Benchmark(OperationsPerInvoke = Writers * UpdatesPerWriter)]
    public void UpdateLocal_PerWrite_4Writers() => RunWriters(_perWrite.Sync);

    private void RunWriters(EdgeSynchronizer sync)
    {
        // Dedicated threads: writers block in fsync, and the thread pool would add threads only slowly.
        var threads = new Thread[Writers];
        for (var w = 0; w < Writers; w++)
        {
            threads[w] = new Thread(() =>
            {
                for (var i = 0; i < UpdatesPerWriter; i++)
                {
                    sync.UpdateLocal(_state);
                }
            });
            threads[w].Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }
    }

    private static (string, FileSyncStore, EdgeSynchronizer) Open(JournalDurability durability)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"edge-bench-journal-{durability}-{Guid.NewGuid():N}");
        var store = new FileSyncStore(new FileSyncStoreOptions(dir) { Durability = durability });
        return (dir, store, new EdgeSynchronizer(store: store));
    }
}

/// <summary>
/// Opening a data directory whose journal holds 100,000 frames (10-key full updates, ~400 bytes each in format 2, no
/// snapshot): read, verify every CRC, decode, replay through the ledger, verify the final checksum. The baseline only
/// reads the file and checks the CRCs.
/// </summary>
[MemoryDiagnoser]
public class JournalRecoveryBenchmarks
{
    private const int Frames = 100_000;

    private string _dir = null!;
    private string _journal = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"edge-bench-recovery-{Guid.NewGuid():N}");
        var options = new FileSyncStoreOptions(_dir) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 0 };
        using (var store = new FileSyncStore(options))
        {
            // Building 100k frames with an fsync each would take minutes; the frames are the same without them.
            var sync = new EdgeSynchronizer(store: new NoWait(store));
            var state = ChecksumStates.SmallState();
            for (var i = 0; i < Frames; i++)
            {
                state["sequence"] = i;
                sync.UpdateLocal(state);
            }
        }

        _journal = Path.Combine(_dir, FileSyncStore.JournalFileName(1));
        if (Recover_100k() != Frames || Read_and_verify_Baseline() != Frames)
        {
            throw new InvalidOperationException("Recovery set-up is not what the benchmark assumes.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark(Baseline = true)]
    public int Read_and_verify_Baseline()
    {
        var bytes = File.ReadAllBytes(_journal);
        var frames = 0;
        long offset = 0;
        while (offset < bytes.Length && JournalFrame.TryRead(bytes, offset, out var payload))
        {
            offset += JournalFrame.HeaderSize + payload.Length;
            frames++;
        }

        return frames;
    }

    [Benchmark]
    public long Recover_100k()
    {
        using var store = new FileSyncStore(new FileSyncStoreOptions(_dir) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 0 });
        return new EdgeSynchronizer(store: store).LocalVersion;
    }

    /// <summary>Appends without waiting for fsync (set-up only).</summary>
    private sealed class NoWait(FileSyncStore inner) : ISyncStore
    {
        public bool WantsSnapshot => false;

        public SyncRecovery Recover() => inner.Recover();

        public long Append(SyncRecord record) => inner.Append(record);

        public long DurableSequence => long.MaxValue;

        public void WaitDurable(long sequence)
        {
        }

        public ValueTask WaitDurableAsync(long sequence) => ValueTask.CompletedTask;

        public void WriteSnapshot(SyncSnapshot snapshot)
        {
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>
/// Opening a 1 MB state (snapshot) followed by the most small deltas the default compaction policy lets a journal hold
/// (10,000, the record cap: 4x a 1 MB state would allow ~35,000 deltas of this size). Replay folds the deltas and
/// merges once, then one MD5 of the state; the baseline reads the files and checks their CRCs.
/// </summary>
[MemoryDiagnoser]
public class JournalDeltaRecoveryBenchmarks
{
    private const int Deltas = 10_000;

    private string _dir = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = Path.Combine(Path.GetTempPath(), $"edge-bench-delta-recovery-{Guid.NewGuid():N}");
        using (var store = new FileSyncStore(new FileSyncStoreOptions(_dir) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 0 }))
        {
            var sync = new EdgeSynchronizer(maxPending: 100, store: store);
            sync.UpdateLocal(ChecksumStates.LargeState());
            store.WriteSnapshot(sync.Snapshot());
            for (var i = 0; i < Deltas; i++)
            {
                sync.UpdateLocal(new JsonObject { [$"d{i % 512}"] = i }, isDelta: true);
            }
        }

        if (Recover() != Deltas + 1 || Read_and_verify_Baseline() == 0)
        {
            throw new InvalidOperationException("Recovery set-up is not what the benchmark assumes.");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_dir, recursive: true);

    [Benchmark(Baseline = true)]
    public int Read_and_verify_Baseline()
    {
        var frames = 0;
        foreach (var path in Directory.GetFiles(_dir, "journal-*.log"))
        {
            var bytes = File.ReadAllBytes(path);
            long offset = 0;
            while (offset < bytes.Length && JournalFrame.TryRead(bytes, offset, out var payload))
            {
                offset += JournalFrame.HeaderSize + payload.Length;
                frames++;
            }
        }

        var snapshot = File.ReadAllBytes(Path.Combine(_dir, "snapshot.bin"));
        return frames + (JournalFrame.TryRead(snapshot, JournalCodec.SnapshotMagic.Length, out _) ? 1 : 0);
    }

    [Benchmark]
    public long Recover()
    {
        using var store = new FileSyncStore(new FileSyncStoreOptions(_dir) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 0 });
        return new EdgeSynchronizer(maxPending: 100, store: store).LocalVersion;
    }
}

