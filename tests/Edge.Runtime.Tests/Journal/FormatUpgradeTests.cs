using System.Text.Json.Nodes;
using Edge.Runtime;
using static Edge.Runtime.Tests.Journal.JournalTestKit;

namespace Edge.Runtime.Tests.Journal;

/// <summary>
/// A data directory written by the release before journal format 2 (Data/journal-format1, made by that release's code
/// from <see cref="Scenario"/>) opens after the upgrade with the same state, versions, pending changes, counters,
/// history and checksums, and goes on writing format 2.
/// </summary>
public class FormatUpgradeTests
{
    private static string Fixture => Path.Combine(AppContext.BaseDirectory, "Data", "journal-format1");

    /// <summary>
    /// What the fixture's node did: full and delta updates with floats (1.0, -0.0, 1e-05, 1e+16), a big integer and
    /// non-ASCII keys, remote states applied and refused, confirms, and a snapshot (every 6 records) with a journal after it.
    /// </summary>
    internal static void Scenario(EdgeSynchronizer sync, Microsoft.Extensions.Time.Testing.FakeTimeProvider clock)
    {
        void Tick() => clock.Advance(TimeSpan.FromSeconds(1));
        Tick();
        sync.UpdateLocal(new JsonObject
        {
            ["temp"] = 21.0, ["neg"] = -0.0, ["tiny"] = 1e-05, ["huge"] = 1e16, ["big"] = JsonNode.Parse("123456789012345678901234567890"),
            ["ключ"] = "значение", ["emoji"] = "😀", ["nested"] = new JsonObject { ["list"] = new JsonArray(1, 2.5, "x", null, true) },
        });
        Tick();
        sync.UpdateLocal(new JsonObject { ["temp"] = 21.5 }, isDelta: true);
        Tick();
        sync.ApplyRemote(SyncState.FromData(
            new JsonObject
            {
                ["temp"] = 19.0, ["mode"] = "remote", ["neg"] = -0.0, ["tiny"] = 1e-05, ["huge"] = 1e16,
                ["big"] = JsonNode.Parse("-98765432109876543210"), ["ключ"] = "значение 😀", ["f"] = 1.2345678901234568e+17,
            },
            5,
            clock.GetUtcNow()));
        Tick();
        sync.ApplyRemote(SyncState.FromData(new JsonObject { ["stale"] = true }, 2, clock.GetUtcNow()));
        Tick();
        sync.ApplyRemote(SyncState.FromData(new JsonObject { ["forged"] = 1 }, 9, clock.GetUtcNow()) with { Checksum = new string('0', 32) });
        Tick();
        sync.UpdateLocal(new JsonObject { ["mode"] = "eco", ["ratio"] = 0.1 }, isDelta: true);
        Tick();
        sync.UpdateLocal(new JsonObject { ["temp"] = 1.0, ["é"] = 1e+300 }, isDelta: true);
        Tick();
        sync.ConfirmSync(6);
        Tick();
        sync.UpdateLocal(new JsonObject { ["flow"] = 12.5 }, isDelta: true);
        Tick();
        sync.UpdateLocal(new JsonObject { ["valve"] = "open", ["flow"] = 0.0 }, isDelta: true);
    }

    [Test]
    public async Task A_format_1_directory_opens_with_everything_it_held_and_continues_in_format_2()
    {
        var dir = NewDirectory("format1");
        try
        {
            foreach (var file in Directory.GetFiles(Fixture))
            {
                File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
            }

            var expected = File.ReadAllText(Path.Combine(dir, "expected.txt"));
            File.Delete(Path.Combine(dir, "expected.txt"));
            await Assert.That(File.Exists(Path.Combine(dir, FileSyncStore.FormatFileName))).IsFalse();

            // The scenario replayed in memory is the node that wrote the fixture.
            var clock = NewClock();
            var reference = new EdgeSynchronizer(timeProvider: clock);
            Scenario(reference, clock);
            await Assert.That(Fingerprint(reference)).IsEqualTo(expected);

            using (var store = new FileSyncStore(new FileSyncStoreOptions(dir)))
            {
                var sync = new EdgeSynchronizer(store: store, timeProvider: clock);
                await Assert.That(Fingerprint(sync)).IsEqualTo(expected);
                await Assert.That(sync.GetLocalState()!.Verify()).IsTrue();
                await Assert.That(File.ReadAllText(Path.Combine(dir, FileSyncStore.FormatFileName))).IsEqualTo("2\n");

                clock.Advance(TimeSpan.FromSeconds(1));
                sync.UpdateLocal(new JsonObject { ["after"] = 2.0 }, isDelta: true);
                reference.UpdateLocal(new JsonObject { ["after"] = 2.0 }, isDelta: true);
            }

            using (var store = new FileSyncStore(new FileSyncStoreOptions(dir)))
            {
                // Format-1 frames and the format-2 frame after them replay as one journal.
                await Assert.That(Fingerprint(new EdgeSynchronizer(store: store))).IsEqualTo(Fingerprint(reference));
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }
}
