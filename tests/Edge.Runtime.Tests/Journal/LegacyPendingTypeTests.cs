using System.Text;
using System.Text.Json.Nodes;
using Edge.Runtime;
using TUnit.Assertions.Enums;
using static Edge.Runtime.Tests.Journal.JournalTestKit;

namespace Edge.Runtime.Tests.Journal;

/// <summary>
/// Journals written before full updates were typed "update" (the reference module's value) stored "full". They must
/// open with today's type: the type read back follows IsDelta.
/// </summary>
public class LegacyPendingTypeTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// The payload of a LocalUpdate record (v1, data {"a":1}, no drops) as the codec wrote it when a full update's type
    /// was "full": format 1, kind 1, version, timestamp, dropped, detail, flags 3 (state and change), the state
    /// (version, JSON, checksum, time), then the change, whose type string is 04000000 "full" (66756c6c).
    /// </summary>
    private const string OldFullRecordHex =
        "01" + "01" + "0100000000000000" + "00208c108a77de08" + "00000000" + "00000000" + "00000000" + "03"
        + "0100000000000000" + "07000000" + "7b2261223a317d" + "00000000"
        + "20000000" + "3432623762346632393231373838656131346461633535363665366630366430"
        + "00208c108a77de08" + "00000000"
        + "04000000" + "66756c6c" + "0100000000000000" + "07000000" + "7b2261223a317d" + "00000000"
        + "00208c108a77de08" + "00000000" + "00";

    private static SyncRecord OldFullUpdate(long version, JsonObject data) =>
        new(
            SyncRecordKind.LocalUpdate,
            T0,
            version,
            SyncState.FromData(data, version, T0),
            new PendingChange("full", version, data.Element(), T0, IsDelta: false));

    [Test]
    public async Task The_fixture_is_the_format_1_layout_and_this_release_writes_format_2_with_the_data_once()
    {
        // Format 1: the state's data and the change's data, each with a float table (two copies of {"a":1}).
        var old = Convert.FromHexString(OldFullRecordHex);
        await Assert.That(old[0]).IsEqualTo((byte)1);
        await Assert.That(Count(old, "{\"a\":1}"u8)).IsEqualTo(2);

        var buffer = new FrameBuffer();
        JournalCodec.WriteRecord(buffer, OldFullUpdate(1, new JsonObject { ["a"] = 1 }));

        // Format 2: the full update's pending change shares the state's bytes, so the data is written once.
        var written = buffer.WrittenSpan.ToArray();
        await Assert.That(written[0]).IsEqualTo((byte)2);
        await Assert.That(Count(written, "{\"a\": 1}"u8)).IsEqualTo(1);
        var back = JournalCodec.ReadRecord(written);
        await Assert.That(back.Change!.Canonical.ToArray()).IsEquivalentTo(back.State!.Canonical.ToArray(), CollectionOrdering.Matching);
        await Assert.That(back.Change.Type).IsEqualTo("update");
    }

    private static int Count(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle)
    {
        var n = 0;
        for (var at = haystack.IndexOf(needle); at >= 0; at = haystack.IndexOf(needle))
        {
            n++;
            haystack = haystack[(at + needle.Length)..];
        }

        return n;
    }

    [Test]
    public async Task An_old_record_typed_full_reads_back_as_update()
    {
        var payload = Convert.FromHexString(OldFullRecordHex);
        await Assert.That(Encoding.UTF8.GetString(payload).Contains("full", StringComparison.Ordinal)).IsTrue();

        var record = JournalCodec.ReadRecord(payload);

        await Assert.That(record.Change!.Type).IsEqualTo("update");
        await Assert.That(record.Change.Type).IsEqualTo(PendingChange.FullType);
        await Assert.That(record.Change.IsDelta).IsFalse();
        await Assert.That(record.Change.Version).IsEqualTo(1);
        await Assert.That(record.Change.Data.ToJsonString()).IsEqualTo("""{"a":1}""");
        await Assert.That(record.State!.Verify()).IsTrue();
        await Assert.That(JournalCodec.ReadRecord(payload, validateOnly: true).Kind).IsEqualTo(SyncRecordKind.LocalUpdate);
    }

    [Test]
    public async Task An_old_snapshot_with_full_and_delta_changes_reads_back_update_and_delta()
    {
        var data = new JsonObject { ["a"] = 1 };
        var snapshot = new SyncSnapshot(
            SyncState.FromData(data, 2, T0),
            0,
            [
                new PendingChange("full", 1, new JsonObject { ["a"] = 0 }.Element(), T0, IsDelta: false),
                new PendingChange("delta", 2, new JsonObject { ["a"] = 1 }.Element(), T0, IsDelta: true),
            ],
            new SyncCounters(2, 0, 0, 0, 0));
        var buffer = new FrameBuffer();
        JournalCodec.WriteSnapshot(buffer, snapshot, generation: 1);
        await Assert.That(Encoding.UTF8.GetString(buffer.WrittenSpan).Contains("full", StringComparison.Ordinal)).IsTrue();

        var read = JournalCodec.ReadSnapshot(buffer.WrittenSpan, out _);

        await Assert.That(read.Pending.Select(p => p.Type)).IsEquivalentTo(new[] { "update", "delta" }, CollectionOrdering.Matching);
        await Assert.That(read.Pending.Select(p => p.IsDelta)).IsEquivalentTo(new[] { false, true }, CollectionOrdering.Matching);
    }

    [Test]
    public async Task A_data_directory_journaled_with_full_opens_with_update()
    {
        var dir = NewDirectory("legacy-type");
        try
        {
            var options = new FileSyncStoreOptions(dir) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 0 };
            using (var old = new FileSyncStore(options))
            {
                // What an older build journaled: a full update typed "full", then a delta.
                old.Recover();
                old.WaitDurable(old.Append(OldFullUpdate(1, new JsonObject { ["a"] = 1 })));
                var merged = new JsonObject { ["a"] = 1, ["b"] = 2 };
                old.WaitDurable(old.Append(new SyncRecord(
                    SyncRecordKind.LocalUpdate,
                    T0,
                    2,
                    SyncState.FromData(merged, 2, T0),
                    new PendingChange("delta", 2, new JsonObject { ["b"] = 2 }.Element(), T0, IsDelta: true))));
            }

            using var store = new FileSyncStore(options);
            var sync = new EdgeSynchronizer(store: store);

            await Assert.That(sync.GetPendingChanges().Select(p => p.Type)).IsEquivalentTo(new[] { "update", "delta" }, CollectionOrdering.Matching);
            await Assert.That(sync.LocalVersion).IsEqualTo(2);

            // New full updates are journaled as "update" and read back so.
            sync.UpdateLocal(new JsonObject { ["c"] = 3 });
            await Assert.That(sync.GetPendingChanges().Select(p => p.Type)).IsEquivalentTo(new[] { "update", "delta", "update" }, CollectionOrdering.Matching);
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }
}
