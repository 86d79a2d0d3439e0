using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json.Nodes;
using Edge.Runtime;
using static Edge.Runtime.Tests.Journal.JournalTestKit;

namespace Edge.Runtime.Tests.Journal;

/// <summary>Damage a crash cannot cause: the store refuses to open, names file and offset, and changes no file.</summary>
public class MidFileCorruptionTests
{
    public enum Damage
    {
        PayloadByte,
        LengthByte,
        ChecksumByte,
        ZeroedHeader,
        ZeroedFrame,
        Garbage,
    }

    private static FileSyncStoreOptions Options(string dir, int snapshotEvery = 0) =>
        new(dir) { SnapshotEveryRecords = snapshotEvery, SnapshotEveryBytes = 0 };

    private static void Write(string dir, int updates, int snapshotEvery = 0)
    {
        using var store = new FileSyncStore(Options(dir, snapshotEvery));
        var sync = new EdgeSynchronizer(store: store);
        for (var i = 1; i <= updates; i++)
        {
            sync.UpdateLocal(new JsonObject { ["i"] = i, ["text"] = new string('x', i * 3) }, isDelta: i % 2 == 0);
        }
    }

    private static List<long> FrameOffsets(byte[] journal)
    {
        var offsets = new List<long>();
        long offset = 0;
        while (offset < journal.Length)
        {
            offsets.Add(offset);
            offset += JournalFrame.HeaderSize + BinaryPrimitives.ReadUInt32LittleEndian(journal.AsSpan((int)offset));
        }

        return offsets;
    }

    private static SortedDictionary<string, byte[]> Evidence(string dir)
    {
        // The lock file is not evidence (opening writes the holder's pid into it).
        var files = ReadAll(dir);
        files.Remove(FileSyncStore.LockFileName);
        return files;
    }

    [Test]
    [Arguments(Damage.PayloadByte, 0)]
    [Arguments(Damage.PayloadByte, 3)]
    [Arguments(Damage.LengthByte, 3)]
    [Arguments(Damage.LengthByte, 10)]
    [Arguments(Damage.ChecksumByte, 5)]
    [Arguments(Damage.ZeroedHeader, 3)]
    [Arguments(Damage.ZeroedFrame, 1)]
    [Arguments(Damage.Garbage, 6)]
    public async Task Damaged_frame_followed_by_valid_frames_is_refused_and_left_alone(Damage damage, int frame)
    {
        var dir = NewDirectory("mid");
        try
        {
            Write(dir, updates: 12);
            var path = Path.Combine(dir, FileSyncStore.JournalFileName(1));
            var bytes = File.ReadAllBytes(path);
            var offsets = FrameOffsets(bytes);
            await Assert.That(offsets.Count).IsEqualTo(12);
            var start = (int)offsets[frame];
            var end = (int)offsets[frame + 1];
            switch (damage)
            {
                case Damage.PayloadByte:
                    bytes[(start + end) / 2] ^= 0x20;
                    break;
                case Damage.LengthByte:
                    bytes[start] ^= 0x01;
                    break;
                case Damage.ChecksumByte:
                    bytes[start + 5] ^= 0x80;
                    break;
                case Damage.ZeroedHeader:
                    bytes.AsSpan(start, JournalFrame.HeaderSize).Clear();
                    break;
                case Damage.ZeroedFrame:
                    bytes.AsSpan(start, end - start).Clear();
                    break;
                case Damage.Garbage:
                    new Random(frame).NextBytes(bytes.AsSpan(start, end - start));
                    break;
            }

            File.WriteAllBytes(path, bytes);
            var before = Evidence(dir);

            var e = await Assert.That(() => new FileSyncStore(Options(dir))).Throws<JournalCorruptException>();

            await Assert.That(e!.FilePath).IsEqualTo(path);
            await Assert.That(e.Offset).IsEqualTo(start);
            await Assert.That(e.Message).Contains(path);
            await Assert.That(e.Message).Contains($"offset {start.ToString(CultureInfo.InvariantCulture)}");
            await Assert.That(SameFiles(before, Evidence(dir))).IsTrue();

            // Refusing released the lock: a second attempt refuses the same way instead of reporting a locked directory.
            await Assert.That(() => new FileSyncStore(Options(dir))).Throws<JournalCorruptException>();
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    public enum SnapshotDamage
    {
        Magic,
        FrameLength,
        Payload,
        Truncated,
        Extended,
        Empty,
    }

    [Test]
    [Arguments(SnapshotDamage.Magic)]
    [Arguments(SnapshotDamage.FrameLength)]
    [Arguments(SnapshotDamage.Payload)]
    [Arguments(SnapshotDamage.Truncated)]
    [Arguments(SnapshotDamage.Extended)]
    [Arguments(SnapshotDamage.Empty)]
    public async Task Damaged_snapshot_is_refused_and_left_alone(SnapshotDamage damage)
    {
        var dir = NewDirectory("snap");
        try
        {
            Write(dir, updates: 12, snapshotEvery: 5);
            var path = Path.Combine(dir, FileSyncStore.SnapshotFileName);
            var bytes = File.ReadAllBytes(path);
            bytes = damage switch
            {
                SnapshotDamage.Magic => Flip(bytes, 2),
                SnapshotDamage.FrameLength => Flip(bytes, 8),
                SnapshotDamage.Payload => Flip(bytes, bytes.Length - 3),
                SnapshotDamage.Truncated => bytes[..^10],
                SnapshotDamage.Extended => [.. bytes, 0, 0, 0, 0],
                _ => [],
            };
            File.WriteAllBytes(path, bytes);
            var before = Evidence(dir);
            await Assert.That(before.Keys.Count(k => k.StartsWith("journal-", StringComparison.Ordinal))).IsEqualTo(1);

            var e = await Assert.That(() => new FileSyncStore(Options(dir))).Throws<JournalCorruptException>();

            await Assert.That(e!.FilePath).IsEqualTo(path);
            await Assert.That(e.Message).Contains(path);
            await Assert.That(SameFiles(before, Evidence(dir))).IsTrue();
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    [Test]
    public async Task Journal_newer_than_the_snapshot_is_refused_and_left_alone()
    {
        var dir = NewDirectory("newer");
        try
        {
            Write(dir, updates: 6, snapshotEvery: 5);
            var stray = Path.Combine(dir, FileSyncStore.JournalFileName(9));
            File.WriteAllBytes(stray, [1, 2, 3]);
            var before = Evidence(dir);

            var e = await Assert.That(() => new FileSyncStore(Options(dir))).Throws<JournalCorruptException>();

            await Assert.That(e!.FilePath).IsEqualTo(stray);
            await Assert.That(SameFiles(before, Evidence(dir))).IsTrue();
        }
        finally
        {
            DeleteDirectory(dir);
        }
    }

    private static byte[] Flip(byte[] bytes, int at)
    {
        var copy = bytes.ToArray();
        copy[at] ^= 0x10;
        return copy;
    }
}
