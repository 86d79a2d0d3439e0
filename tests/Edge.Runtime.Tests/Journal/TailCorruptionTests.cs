using System.Text.Json.Nodes;
using Edge.Runtime;
using static Edge.Runtime.Tests.Journal.JournalTestKit;

namespace Edge.Runtime.Tests.Journal;

/// <summary>A crash mid-append leaves any prefix of the last frame, or junk after it: recovery cuts it and carries on.</summary>
public class TailCorruptionTests
{
    public enum Damage
    {
        /// <summary>The file ends at offset o inside the last frame.</summary>
        Truncated,

        /// <summary>The byte at offset o of the last frame is flipped.</summary>
        FlippedByte,

        /// <summary>Everything from offset o on is zero (a file extended, its data never written).</summary>
        ZeroFilled,

        /// <summary>Everything from offset o on is random.</summary>
        Garbage,
    }

    private sealed record Journal(string Path, byte[] Bytes, long LastFrameStart, string Before, string After);

    /// <summary>A journal of a few records whose last one is a local update, and the node before and after it.</summary>
    private static Journal Build(string dir)
    {
        var clock = NewClock();
        var random = new Random(42);
        using (var store = new FileSyncStore(new FileSyncStoreOptions(dir) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 0 }))
        {
            var sync = new EdgeSynchronizer(store: store, timeProvider: clock);
            for (var i = 0; i < 6; i++)
            {
                RandomOperation(random, clock, sync);
            }
        }

        var path = System.IO.Path.Combine(dir, FileSyncStore.JournalFileName(1));
        var beforeLength = new FileInfo(path).Length;
        string before;
        string after;
        using (var store = new FileSyncStore(new FileSyncStoreOptions(dir) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 0 }))
        {
            var sync = new EdgeSynchronizer(store: store, timeProvider: clock);
            before = Fingerprint(sync);
            clock.Advance(TimeSpan.FromSeconds(1));
            sync.UpdateLocal(new JsonObject { ["temperature"] = 21.5, ["label"] = "last ✓", ["nested"] = new JsonObject { ["x"] = 1 } }, isDelta: true);
            after = Fingerprint(sync);
        }

        return new Journal(path, File.ReadAllBytes(path), beforeLength, before, after);
    }

    private static (string Fingerprint, FileSyncStore Store) Recover(string dir)
    {
        var store = new FileSyncStore(new FileSyncStoreOptions(dir) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 0 });
        return (Fingerprint(new EdgeSynchronizer(store: store)), store);
    }

    [Test]
    [Arguments(Damage.Truncated)]
    [Arguments(Damage.FlippedByte)]
    [Arguments(Damage.ZeroFilled)]
    [Arguments(Damage.Garbage)]
    public async Task Damage_at_every_offset_of_the_last_frame_is_cut_off(Damage damage)
    {
        var dir = NewDirectory("tail-" + damage);
        try
        {
            var journal = Build(dir);
            var frameLength = journal.Bytes.Length - journal.LastFrameStart;
            await Assert.That(frameLength > JournalFrame.HeaderSize).IsTrue();
            var failures = new List<string>();
            var random = new Random(7);
            var cases = 0;
            for (var o = journal.LastFrameStart; o < journal.Bytes.Length; o++)
            {
                var bytes = journal.Bytes.ToArray();
                switch (damage)
                {
                    case Damage.Truncated:
                        if (o == journal.LastFrameStart)
                        {
                            continue; // that is the clean journal before the last record
                        }

                        bytes = bytes[..(int)o];
                        break;
                    case Damage.FlippedByte:
                        bytes[o] ^= (byte)random.Next(1, 256);
                        break;
                    case Damage.ZeroFilled:
                        bytes.AsSpan((int)o).Clear();
                        if (bytes.AsSpan().SequenceEqual(journal.Bytes))
                        {
                            continue; // the frame already had zeros there
                        }

                        break;
                    case Damage.Garbage:
                        random.NextBytes(bytes.AsSpan((int)o));
                        break;
                }

                cases++;
                File.WriteAllBytes(journal.Path, bytes);
                var (fingerprint, store) = Recover(dir);
                using (store)
                {
                    if (fingerprint != journal.Before)
                    {
                        failures.Add($"offset {o}: recovered state differs from the state before the last record");
                    }

                    if (store.Counters.TailCorruptions != 1 || store.Counters.TruncatedBytes != bytes.Length - journal.LastFrameStart)
                    {
                        failures.Add($"offset {o}: counters {store.Counters.TailCorruptions} tails, {store.Counters.TruncatedBytes} bytes; {store.Counters.LastRecovery}");
                    }

                    if (!store.Counters.LastRecovery.Contains($"at offset {journal.LastFrameStart}", StringComparison.Ordinal))
                    {
                        failures.Add($"offset {o}: message does not name the cut offset: {store.Counters.LastRecovery}");
                    }
                }

                if (new FileInfo(journal.Path).Length != journal.LastFrameStart)
                {
                    failures.Add($"offset {o}: journal not truncated to {journal.LastFrameStart}");
                }

                // Every 8th case: the node keeps going after the cut, and that survives another restart.
                if (o % 8 == 0)
                {
                    string continued;
                    using (var s = new FileSyncStore(new FileSyncStoreOptions(dir) { SnapshotEveryRecords = 0, SnapshotEveryBytes = 0 }))
                    {
                        var sync = new EdgeSynchronizer(store: s);
                        sync.UpdateLocal(new JsonObject { ["after"] = o });
                        continued = Fingerprint(sync);
                    }

                    var (again, store2) = Recover(dir);
                    store2.Dispose();
                    if (again != continued)
                    {
                        failures.Add($"offset {o}: an update after the cut did not survive a restart");
                    }
                }
            }

            await Assert.That(string.Join('\n', failures)).IsEqualTo("");
            await Assert.That(cases >= frameLength - 1).IsTrue();
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    [Arguments(1)]
    [Arguments(7)]
    [Arguments(8)]
    [Arguments(4096)]
    public async Task Junk_after_the_last_frame_is_cut_off_and_every_record_kept(int junkBytes)
    {
        var dir = NewDirectory("junk");
        try
        {
            var journal = Build(dir);
            foreach (var zeros in new[] { true, false })
            {
                var junk = new byte[junkBytes];
                if (!zeros)
                {
                    new Random(junkBytes).NextBytes(junk);
                }

                File.WriteAllBytes(journal.Path, [.. journal.Bytes, .. junk]);
                var (fingerprint, store) = Recover(dir);
                using (store)
                {
                    await Assert.That(fingerprint).IsEqualTo(journal.After);
                    await Assert.That(store.Counters.TruncatedBytes).IsEqualTo(junkBytes);
                    await Assert.That(store.Counters.TailCorruptions).IsEqualTo(1);
                }

                await Assert.That(File.ReadAllBytes(journal.Path).AsSpan().SequenceEqual(journal.Bytes)).IsTrue();
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task Clean_journal_reports_no_tail_damage()
    {
        var dir = NewDirectory("clean");
        try
        {
            var journal = Build(dir);
            var (fingerprint, store) = Recover(dir);
            using (store)
            {
                await Assert.That(fingerprint).IsEqualTo(journal.After);
                await Assert.That(store.Counters.TailCorruptions).IsEqualTo(0);
                await Assert.That(store.Counters.TruncatedBytes).IsEqualTo(0);
                await Assert.That(store.Counters.RecoveredFrames).IsEqualTo(7);
            }
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task Last_frame_with_a_valid_checksum_that_does_not_decode_is_refused()
    {
        // A checksum that verifies means the bytes were written that way: that is a bug or tampering, not a torn write.
        var dir = NewDirectory("undecodable");
        try
        {
            var journal = Build(dir);
            var payload = new byte[] { 99, 1, 2, 3 };
            var frame = new byte[JournalFrame.HeaderSize + payload.Length];
            payload.CopyTo(frame, JournalFrame.HeaderSize);
            JournalFrame.WriteHeader(frame);
            File.WriteAllBytes(journal.Path, [.. journal.Bytes, .. frame]);
            var files = ReadAll(dir);

            var e = await Assert.That(() => Recover(dir)).Throws<JournalCorruptException>();
            await Assert.That(e!.Offset).IsEqualTo(journal.Bytes.Length);
            await Assert.That(e.FilePath).IsEqualTo(journal.Path);
            files.Remove(FileSyncStore.LockFileName);
            var after = ReadAll(dir);
            after.Remove(FileSyncStore.LockFileName);
            await Assert.That(SameFiles(files, after)).IsTrue();
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }
}
