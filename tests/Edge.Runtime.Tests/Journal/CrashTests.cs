using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Edge.Runtime;
using static Edge.Runtime.Tests.Journal.JournalTestKit;

namespace Edge.Runtime.Tests.Journal;

/// <summary>
/// Real processes: tests/Edge.Journal.CrashChild updates a FileSyncStore-backed node forever, printing each version once
/// UpdateLocal returned; it is SIGKILLed at random moments, and every printed version must have survived, with the
/// state exactly that of one version (nothing half-applied). EDGE_CRASH_ROUNDS sets the rounds (default 30).
/// </summary>
public class CrashTests
{
    private const int MaxPending = 20; // as in the child
    private const int SnapshotEvery = 40;

    [Test]
    public async Task Every_acknowledged_version_survives_SIGKILL()
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("EDGE_CRASH_ROUNDS"), CultureInfo.InvariantCulture, out var n) ? n : 30;
        var child = ChildPath();
        var dir = NewDirectory("crash");
        var random = new Random(Environment.TickCount);
        var failures = new List<string>();
        long lastAcked = 0;
        long totalAcked = 0;
        try
        {
            for (var round = 0; round < rounds && failures.Count == 0; round++)
            {
                var (acked, startVersion) = RunAndKill(child, dir, random, checkLock: round == 0, failures);
                if (startVersion != lastAcked && startVersion != lastAcked + 1)
                {
                    failures.Add($"round {round}: child started at version {startVersion}, last acknowledged was {lastAcked}");
                }

                totalAcked += acked.Count;
                if (acked.Count > 0)
                {
                    lastAcked = Math.Max(lastAcked, acked.Max());
                }

                using var store = new FileSyncStore(new FileSyncStoreOptions(dir) { SnapshotEveryRecords = SnapshotEvery, SnapshotEveryBytes = 0 });
                var sync = new EdgeSynchronizer(maxPending: MaxPending, store: store);
                var problem = Check(sync, lastAcked);
                if (problem is not null)
                {
                    failures.Add($"round {round} (last acknowledged {lastAcked}): {problem}; recovery: {store.Counters.LastRecovery}");
                }

                lastAcked = sync.LocalVersion; // the next child starts from what is on disk
            }

            await Assert.That(string.Join('\n', failures)).IsEqualTo("");

            // The rounds did real work: changes were acknowledged and the journal was compacted along the way.
            await Assert.That(totalAcked > rounds).IsTrue();
            await Assert.That(lastAcked > SnapshotEvery).IsTrue();
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    /// <summary>Runs the child until a random moment and SIGKILLs it; returns the acknowledged versions and the version it started from.</summary>
    private static (List<long> Acked, long StartVersion) RunAndKill(string child, string dir, Random random, bool checkLock, List<string> failures)
    {
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(child);
        info.ArgumentList.Add(dir);
        info.ArgumentList.Add(SnapshotEvery.ToString(CultureInfo.InvariantCulture));
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var acked = new List<long>();
        long startVersion = -1;
        using var ready = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            while (process.StandardOutput.ReadLine() is { } line)
            {
                if (line.StartsWith("ready ", StringComparison.Ordinal))
                {
                    startVersion = long.Parse(line.AsSpan(6), CultureInfo.InvariantCulture);
                    ready.Set();
                }
                else if (long.TryParse(line, CultureInfo.InvariantCulture, out var version))
                {
                    lock (acked)
                    {
                        acked.Add(version);
                    }
                }
            }

            ready.Set();
        });
        reader.Start();
        if (!ready.Wait(TimeSpan.FromSeconds(30)) || startVersion < 0)
        {
            process.Kill();
            failures.Add($"child did not start: {stderr.Result}");
            return (acked, startVersion);
        }

        if (checkLock)
        {
            try
            {
                using var _ = new FileSyncStore(new FileSyncStoreOptions(dir));
                failures.Add("a second process opened the data directory while the child held it");
            }
            catch (JournalLockedException)
            {
            }
        }

        // A random moment: right away (mid-startup writes), or up to ~400 ms of updates later.
        var delay = random.Next(4) == 0 ? 0 : random.Next(1, 400);
        if (delay > 0)
        {
            Thread.Sleep(delay);
        }

        process.Kill(); // SIGKILL on Unix
        process.WaitForExit();
        reader.Join();
        lock (acked)
        {
            for (var i = 1; i < acked.Count; i++)
            {
                if (acked[i] != acked[i - 1] + 1)
                {
                    failures.Add($"child acknowledged {acked[i - 1]} then {acked[i]}");
                }
            }

            return (acked.ToList(), startVersion);
        }
    }

    /// <summary>Null when <paramref name="sync"/> is exactly the state of a version &gt;= <paramref name="lastAcked"/>; else what is wrong.</summary>
    private static string? Check(EdgeSynchronizer sync, long lastAcked)
    {
        var v = sync.LocalVersion;
        // One update can be in flight when the kill lands: written but not yet acknowledged (or acknowledged, not printed).
        if (v != lastAcked && v != lastAcked + 1)
        {
            return $"recovered version {v}";
        }

        var local = sync.GetLocalState();
        if (v > 0 && (local is null || !local.Verify() || local.Data.ToJsonString() != Data(v).Element().ToJsonString()))
        {
            return $"local state is not the state of version {v}: {local?.Data.ToJsonString()}";
        }

        var summary = sync.Summary();
        if (summary.LocalUpdates != v || summary.ConfirmedChanges + summary.DroppedChanges + summary.PendingCount != v)
        {
            return $"counters do not add up: {summary}";
        }

        if (summary.RemoteVersion > v)
        {
            return $"remote version {summary.RemoteVersion} beyond local {v}";
        }

        var pending = sync.GetPendingChanges();
        var first = Math.Max(summary.RemoteVersion, v - MaxPending) + 1;
        if (pending.Count != v - first + 1)
        {
            return $"{pending.Count} pending, expected versions {first}..{v}";
        }

        for (var i = 0; i < pending.Count; i++)
        {
            var p = pending[i];
            if (p.Version != first + i || p.IsDelta != (p.Version % 2 == 0) || p.Data.ToJsonString() != Data(p.Version).Element().ToJsonString())
            {
                return $"pending change {i} is v{p.Version} delta={p.IsDelta} {p.Data.ToJsonString()}";
            }
        }

        return null;
    }

    // As in the child: the state of every version is a function of the version.
    private static JsonObject Data(long version) => new()
    {
        ["v"] = version,
        ["blob"] = new string((char)('a' + (version % 26)), (int)(version * 37 % 700)),
    };

    private static string ChildPath()
    {
        if (Environment.GetEnvironmentVariable("EDGE_CRASH_CHILD") is { Length: > 0 } overridden)
        {
            return overridden;
        }

        // bin/<Configuration>/<tfm>/ of this project -> tests/Edge.Journal.CrashChild/bin/<Configuration>/<tfm>/
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var configuration = output.Parent!.Name;
        var tests = output.Parent.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(tests, "Edge.Journal.CrashChild", "bin", configuration, output.Name, "Edge.Journal.CrashChild.dll");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"Build tests/Edge.Journal.CrashChild first (or set EDGE_CRASH_CHILD); not found: {path}");
    }
}
