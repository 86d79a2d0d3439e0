using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Edge.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Runtime.Tests.Journal;

/// <summary>Shared pieces of the journal tests: scratch directories, a state fingerprint, random operations.</summary>
internal static class JournalTestKit
{
    public static string NewDirectory(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "edge-journal-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public static void DeleteDirectory(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Every observable part of a synchronizer, as text: equal fingerprints mean identical nodes.</summary>
    public static string Fingerprint(EdgeSynchronizer sync)
    {
        var sb = new StringBuilder();
        sb.AppendLine(sync.Summary().ToString());
        var local = sync.GetLocalState();
        sb.AppendLine(local is null ? "local: none" : $"local: v{local.Version} {local.Checksum} {Time(local.UpdatedAt)} verify={local.Verify()} {local.Data.ToJsonString()}");
        foreach (var p in sync.GetPendingChanges())
        {
            sb.AppendLine($"pending: {p.Type} v{p.Version} {Time(p.Timestamp)} delta={p.IsDelta} {p.Data.ToJsonString()}");
        }

        foreach (var e in sync.SyncHistory(1000))
        {
            sb.AppendLine($"history: {Time(e.Timestamp)} {e.Action} v{e.Version} {e.Detail}");
        }

        return sb.ToString();
    }

    private static string Time(DateTimeOffset t) => t.Ticks.ToString(CultureInfo.InvariantCulture) + (t.Offset.TotalMinutes >= 0 ? "+" : "") + t.Offset.TotalMinutes;

    public static FakeTimeProvider NewClock() => new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    /// <summary>
    /// One random mutation against <paramref name="targets"/> (all get the same one): full and delta updates with
    /// mixed JSON (CLR doubles, unicode, nesting), remote states newer, stale and with bad checksums, confirmations.
    /// </summary>
    public static void RandomOperation(Random random, FakeTimeProvider clock, params EdgeSynchronizer[] targets)
    {
        clock.Advance(TimeSpan.FromMilliseconds(random.Next(1, 5000)));
        var reference = targets[0];
        switch (random.Next(10))
        {
            case < 5:
                {
                    var data = RandomData(random);
                    var delta = random.Next(2) == 0;
                    foreach (var t in targets)
                    {
                        t.UpdateLocal(data, delta);
                    }

                    break;
                }

            case < 8:
                {
                    // Within 1..MaxVersion: out-of-range versions are refused without being journaled (by design, so a
                    // recovered node does not list them); Sync/VersionRangeTests covers them.
                    var version = Math.Max(SyncState.MinVersion, reference.LocalVersion + random.Next(-2, 4));
                    var updatedAt = clock.GetUtcNow().AddSeconds(random.Next(-60, 60)).ToOffset(TimeSpan.FromHours(random.Next(-5, 6)));
                    var remote = SyncState.FromData(RandomData(random), version, updatedAt);
                    if (random.Next(5) == 0)
                    {
                        remote = remote with { Checksum = "00000000000000000000000000000000" };
                    }

                    foreach (var t in targets)
                    {
                        t.ApplyRemote(remote);
                    }

                    break;
                }

            default:
                {
                    var upTo = reference.LocalVersion - random.Next(0, 4);
                    foreach (var t in targets)
                    {
                        t.ConfirmSync(upTo);
                    }

                    break;
                }
        }
    }

    public static JsonObject RandomData(Random random)
    {
        var obj = new JsonObject();
        var keys = random.Next(1, 5);
        for (var i = 0; i < keys; i++)
        {
            obj[$"k{random.Next(8)}"] = RandomValue(random, 0);
        }

        return obj;
    }

    private static JsonNode? RandomValue(Random random, int depth)
    {
        switch (random.Next(depth > 2 ? 7 : 9))
        {
            case 0: return null;
            case 1: return JsonValue.Create(random.Next(-1000, 1000));
            case 2: return JsonValue.Create(random.Next(0, 4) / 2.0); // 0.0, 0.5, 1.0, 1.5: CLR doubles, integral ones too
            case 3: return JsonValue.Create(random.NextDouble() * 1e20);
            case 4: return JsonValue.Create(random.Next(2) == 0);
            case 5: return JsonValue.Create($"s{random.Next(100)} é 😀 \"q\"");
            case 6: return JsonNode.Parse(random.Next(2) == 0 ? "1.0" : "12345678901234567890123");
            case 7:
                {
                    var array = new JsonArray();
                    for (var i = random.Next(4); i > 0; i--)
                    {
                        array.Add(RandomValue(random, depth + 1));
                    }

                    return array;
                }

            default:
                {
                    var obj = new JsonObject();
                    for (var i = random.Next(3); i > 0; i--)
                    {
                        obj[$"n{random.Next(5)}"] = RandomValue(random, depth + 1);
                    }

                    return obj;
                }
        }
    }

    /// <summary>The bytes of every file in <paramref name="dir"/>, by name, to prove nothing was touched.</summary>
    public static SortedDictionary<string, byte[]> ReadAll(string dir) =>
        new(Directory.GetFiles(dir).ToDictionary(p => Path.GetFileName(p), File.ReadAllBytes), StringComparer.Ordinal);

    public static bool SameFiles(SortedDictionary<string, byte[]> a, SortedDictionary<string, byte[]> b) =>
        a.Keys.SequenceEqual(b.Keys) && a.All(kv => kv.Value.AsSpan().SequenceEqual(b[kv.Key]));
}

/// <summary>What a <see cref="FailingFileSystem"/> can fail.</summary>
internal enum JournalIo
{
    Open,
    Write,
    Flush,
    SetLength,
    Move,
    Delete,
    FlushDirectory,
}

/// <summary>
/// The real file system, except that the <c>Nth</c> matching operation fails; with <see cref="DieAfterFailure"/> every
/// later operation fails too, which is what a crash looks like to the files (nothing more reaches them).
/// </summary>
internal sealed class FailingFileSystem : IJournalFileSystem
{
    private readonly IJournalFileSystem _inner = DiskJournalFileSystem.Instance;
    private int _matches;

    public JournalIo? FailOn { get; set; }

    /// <summary>Only operations on a path containing this (null: any).</summary>
    public string? PathContains { get; set; }

    /// <summary>Which matching operation fails (1 = the first).</summary>
    public int FailAt { get; set; } = 1;

    public bool DieAfterFailure { get; set; }

    /// <summary>For a failing write: how many bytes reach the file first (a disk filling up mid-frame).</summary>
    public int PartialWriteBytes { get; set; }

    /// <summary>The errno the injected failure carries in HResult, as .NET reports it on Unix (28: ENOSPC); 0: none.</summary>
    public int Errno { get; set; }

    /// <summary>After the injected failure, operations of this kind fail too (same errno) until <see cref="Reset"/>: the disk is still full.</summary>
    public JournalIo? ThenFailOn { get; set; }

    /// <summary>Makes every flush slower, so concurrent writers pile up behind one fsync.</summary>
    public TimeSpan FlushDelay { get; set; }

    /// <summary>While set and closed, every fsync waits for it to open (signalling <see cref="FlushEntered"/> first): a disk stuck in one fsync.</summary>
    public ManualResetEventSlim? FlushGate { get; set; }

    /// <summary>Released once each time an fsync starts waiting at <see cref="FlushGate"/>.</summary>
    public SemaphoreSlim FlushEntered { get; } = new(0);

    public bool Failed { get; private set; }

    public int Flushes;

    public void Reset()
    {
        FailOn = null;
        ThenFailOn = null;
        Errno = 0;
        Failed = false;
        DieAfterFailure = false;
        _matches = 0;
    }

    public void Check(JournalIo io, string path)
    {
        var (failure, _) = Failure(io, path);
        if (failure is not null)
        {
            throw failure;
        }
    }

    /// <summary>The failure for this operation, if any, and whether it is the injected one (not the aftermath).</summary>
    public (IOException? Failure, bool Injected) Failure(JournalIo io, string path)
    {
        if (Failed && DieAfterFailure)
        {
            return (new IOException($"(injected) the process is gone: {io} {path}"), false);
        }

        var onPath = PathContains is null || path.Contains(PathContains, StringComparison.Ordinal);
        if (FailOn == io && onPath && ++_matches == FailAt)
        {
            Failed = true;
            return (Injected(io, path), true);
        }

        if (Failed && ThenFailOn == io && onPath)
        {
            return (Injected(io, path), false);
        }

        return (null, false);
    }

    private IOException Injected(JournalIo io, string path) => Errno == 0
        ? new IOException($"(injected) {io} failed on {path}: No space left on device")
        : new IOException($"(injected) {io} failed on {path}: errno {Errno}", Errno);

    public bool Exists(string path) => _inner.Exists(path);

    public IReadOnlyList<string> ListFiles(string directory) => _inner.ListFiles(directory);

    public IJournalFile Open(string path, bool create)
    {
        Check(JournalIo.Open, path);
        return new File(this, _inner.Open(path, create));
    }

    public byte[] ReadAllBytes(string path) => _inner.ReadAllBytes(path);

    public Stream OpenRead(string path) => _inner.OpenRead(path);

    public void Move(string source, string destination)
    {
        Check(JournalIo.Move, destination);
        _inner.Move(source, destination);
    }

    public void Delete(string path)
    {
        Check(JournalIo.Delete, path);
        _inner.Delete(path);
    }

    public void FlushDirectory(string directory)
    {
        Check(JournalIo.FlushDirectory, directory);
        _inner.FlushDirectory(directory);
    }

    private sealed class File(FailingFileSystem owner, IJournalFile inner) : IJournalFile
    {
        public string Path => inner.Path;

        public long Length => inner.Length;

        public void Write(ReadOnlySpan<byte> data, long offset)
        {
            var (failure, injected) = owner.Failure(JournalIo.Write, Path);
            if (failure is null)
            {
                inner.Write(data, offset);
                return;
            }

            if (injected && owner.PartialWriteBytes > 0)
            {
                inner.Write(data[..Math.Min(owner.PartialWriteBytes, data.Length)], offset);
            }

            throw failure;
        }

        public void Flush()
        {
            owner.Check(JournalIo.Flush, Path);
            if (owner.FlushDelay > TimeSpan.Zero)
            {
                Thread.Sleep(owner.FlushDelay);
            }

            if (owner.FlushGate is { } gate)
            {
                owner.FlushEntered.Release();
                if (!gate.Wait(TimeSpan.FromMinutes(1)))
                {
                    throw new TimeoutException("the test never opened the flush gate");
                }
            }

            Interlocked.Increment(ref owner.Flushes);
            inner.Flush();
        }

        public void SetLength(long length)
        {
            owner.Check(JournalIo.SetLength, Path);
            inner.SetLength(length);
        }

        public void Dispose() => inner.Dispose();
    }
}
