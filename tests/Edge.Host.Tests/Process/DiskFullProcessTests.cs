using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Edge.Runtime;

namespace Edge.Host.Tests.Process;

/// <summary>The real edge-host process on a really full disk (a small tmpfs), and with its live journal deleted.</summary>
public class DiskFullProcessTests
{
    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    /// <summary>One full update of about 12 KiB (the journal holds it twice: the new state and the pending change).</summary>
    private static StringContent Reading(int i) => Body($$"""{"reading": {{i}}, "pad": "{{new string('x', 12_000)}}"}""");

    [Test]
    public async Task Full_disk_answers_507_keeps_the_node_serving_and_writes_resume_once_space_is_freed()
    {
        if (!OperatingSystem.IsLinux() || EffectiveUid() != 0)
        {
            Skip.Test("Mounting the small tmpfs this test fills needs root on Linux (CI runs it as root).");
        }

        var mountPoint = Directory.CreateTempSubdirectory("edge-full-disk-").FullName;
        var mounted = false;
        try
        {
            var mount = await Run("mount", "-t", "tmpfs", "-o", "size=512k,mode=0755", "tmpfs", mountPoint);
            await Assert.That(mount.ExitCode).IsEqualTo(0).Because($"mount failed: {mount.Output}");
            mounted = true;

            // Most of the disk is taken by a file the test can delete to free space later.
            var filler = Path.Combine(mountPoint, "filler.bin");
            await File.WriteAllBytesAsync(filler, new byte[320 * 1024]);
            var dataDir = Path.Combine(mountPoint, "data");
            Directory.CreateDirectory(dataDir);

            long acknowledged;
            string acknowledgedChecksum;
            await using (var host = await ChildHost.ServeAsync(dataDir))
            {
                acknowledged = 0;
                acknowledgedChecksum = "";
                HttpResponseMessage? refused = null;
                for (var i = 1; i <= 100 && refused is null; i++)
                {
                    var put = await host.Client.PutAsync("/v1/state", Reading(i));
                    if (put.StatusCode == HttpStatusCode.OK)
                    {
                        var state = JsonNode.Parse(await put.Content.ReadAsStringAsync())!;
                        await Assert.That(state["version"]!.GetValue<long>()).IsEqualTo(acknowledged + 1);
                        acknowledged = state["version"]!.GetValue<long>();
                        acknowledgedChecksum = state["checksum"]!.GetValue<string>();
                    }
                    else
                    {
                        refused = put;
                    }
                }

                // The disk filled up: a clear 507, not a 500 with an empty body.
                await Assert.That(refused).IsNotNull();
                await Assert.That(acknowledged >= 1).IsTrue();
                await Assert.That(refused!.StatusCode).IsEqualTo(HttpStatusCode.InsufficientStorage);
                await Assert.That(refused.Content.Headers.ContentType?.MediaType).IsEqualTo("application/problem+json");
                var problem = JsonNode.Parse(await refused.Content.ReadAsStringAsync())!;
                await Assert.That(problem["status"]!.GetValue<int>()).IsEqualTo(507);
                await Assert.That(problem["title"]!.GetValue<string>()).IsEqualTo("Insufficient Storage");
                await Assert.That(problem["detail"]!.GetValue<string>()).Contains($"The disk holding '{dataDir}' is full");
                await Assert.That(problem["detail"]!.GetValue<string>()).Contains("Nothing was stored");

                // The node is alive, ready, and still has exactly the last acknowledged state.
                await Assert.That(host.Process.HasExited).IsFalse();
                await Assert.That((await host.Client.GetAsync("/readyz")).StatusCode).IsEqualTo(HttpStatusCode.OK);
                var current = JsonNode.Parse(await host.Client.GetStringAsync("/v1/state"))!;
                await Assert.That(current["version"]!.GetValue<long>()).IsEqualTo(acknowledged);
                await Assert.That(current["checksum"]!.GetValue<string>()).IsEqualTo(acknowledgedChecksum);
                var metrics = await host.Client.GetStringAsync("/metrics");
                await Assert.That(Metric(metrics, "edge_journal_out_of_space_total") >= 1).IsTrue();
                await Assert.That(Metric(metrics, "edge_journal_faulted")).IsEqualTo(0);

                // Space freed: the same kind of write goes through with the next version, no restart.
                File.Delete(filler);
                var again = await host.Client.PutAsync("/v1/state", Reading(1000));
                await Assert.That(again.StatusCode).IsEqualTo(HttpStatusCode.OK);
                var next = JsonNode.Parse(await again.Content.ReadAsStringAsync())!;
                await Assert.That(next["version"]!.GetValue<long>()).IsEqualTo(acknowledged + 1);
                acknowledged++;
                acknowledgedChecksum = next["checksum"]!.GetValue<string>();

                await host.SignalAsync(9);
                await host.WaitForExitAsync(TimeSpan.FromSeconds(10));
            }

            await using (var restarted = await ChildHost.ServeAsync(dataDir))
            {
                var state = JsonNode.Parse(await restarted.Client.GetStringAsync("/v1/state"))!;
                await Assert.That(state["version"]!.GetValue<long>()).IsEqualTo(acknowledged);
                await Assert.That(state["checksum"]!.GetValue<string>()).IsEqualTo(acknowledgedChecksum);
                await Assert.That(state["data"]!["reading"]!.GetValue<int>()).IsEqualTo(1000);
            }
        }
        finally
        {
            if (mounted)
            {
                await Run("umount", "-l", mountPoint);
            }

            try
            {
                Directory.Delete(mountPoint, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Test]
    public async Task Live_journal_deleted_next_to_its_snapshot_is_logged_once_and_counted()
    {
        var dir = Directory.CreateTempSubdirectory("edge-missing-journal-").FullName;
        try
        {
            // A data directory whose snapshot names generation 2, with v3 in journal 2.
            using (var store = new FileSyncStore(new FileSyncStoreOptions(dir) { SnapshotEveryRecords = 2 }))
            {
                var sync = new EdgeSynchronizer(store: store);
                for (var i = 1; i <= 3; i++)
                {
                    sync.UpdateLocal(new JsonObject { ["i"] = i });
                }
            }

            var journal = Path.Combine(dir, "journal-000000000002.log");
            await Assert.That(File.Exists(journal)).IsTrue();
            File.Delete(journal);

            await using var host = await ChildHost.ServeAsync(dir);
            var state = JsonNode.Parse(await host.Client.GetStringAsync("/v1/state"))!;
            await Assert.That(state["version"]!.GetValue<long>()).IsEqualTo(2);
            var metrics = await host.Client.GetStringAsync("/metrics");
            await Assert.That(Metric(metrics, "edge_journal_missing_journals_total")).IsEqualTo(1);

            // A clean stop flushes the log; the warning was written exactly once.
            await host.SignalAsync(15);
            await Assert.That(await host.WaitForExitAsync(TimeSpan.FromSeconds(30))).IsEqualTo(0);
            var warnings = Regex.Matches(host.Output, "journal-000000000002.log was missing next to the snapshot").Count;
            await Assert.That(warnings).IsEqualTo(1).Because(host.Output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static double Metric(string text, string name)
    {
        var match = Regex.Match(text, "^" + Regex.Escape(name) + @"(\{[^}]*\})? (\S+)$", RegexOptions.Multiline);
        if (!match.Success)
        {
            throw new InvalidOperationException($"{name} is not in /metrics:\n{text}");
        }

        return double.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
    }

    private static int EffectiveUid()
    {
        // "Uid:\treal\teffective\tsaved\tfs" in /proc/self/status.
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal));
        return int.Parse(line.Split('\t', StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);
    }

    private static async Task<(int ExitCode, string Output)> Run(string file, params string[] args)
    {
        using var process = System.Diagnostics.Process.Start(new ProcessStartInfo(file, args)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }
}
