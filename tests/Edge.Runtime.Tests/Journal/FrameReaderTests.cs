using Edge.Runtime;

namespace Edge.Runtime.Tests.Journal;

/// <summary>Recovery streams the journal: every frame comes back whole, however the reads split it, in one frame's memory.</summary>
public class FrameReaderTests
{
    private static readonly int[] Sizes = [10, 100_000, 1, 300_000, 5, 65_530, 65_536, 2];

    [Test]
    [Arguments(1)]
    [Arguments(7)]
    [Arguments(4096)]
    [Arguments(int.MaxValue)]
    public async Task Every_frame_comes_back_whole_in_order_in_the_memory_of_the_largest(int chunk)
    {
        var seed = Random.Shared.Next();
        Console.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var payloads = Sizes.Select(n => { var p = new byte[n]; random.NextBytes(p); return p; }).ToList();
        var file = Frames(payloads);

        using var reader = new JournalFrameReader(new ChunkedStream(file, chunk));
        var offsets = new List<long>();
        foreach (var expected in payloads)
        {
            offsets.Add(reader.Offset);
            await Assert.That(reader.Next(out _)).IsEqualTo(FrameRead.Frame);
            await Assert.That(reader.LastPayload.SequenceEqual(expected)).IsTrue();
        }

        await Assert.That(reader.Next(out _)).IsEqualTo(FrameRead.End);
        await Assert.That(reader.Offset).IsEqualTo(file.Length);
        var running = 0L;
        var starts = payloads.Select(p => { var at = running; running += JournalFrame.HeaderSize + p.Length; return at; }).ToList();
        await Assert.That(offsets).IsEquivalentTo(starts, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        // Never the file (about 530 KB): at most twice the largest frame.
        await Assert.That(reader.BufferCapacity).IsLessThanOrEqualTo(2 * (JournalFrame.HeaderSize + Sizes.Max()));
    }

    [Test]
    public async Task A_journal_of_small_frames_never_grows_the_buffer()
    {
        var payloads = Enumerable.Range(0, 20_000).Select(i => BitConverter.GetBytes(i)).ToList();
        using var reader = new JournalFrameReader(new MemoryStream(Frames(payloads)));
        var count = 0;
        while (reader.Next(out var payload) == FrameRead.Frame)
        {
            await Assert.That(BitConverter.ToInt32(payload)).IsEqualTo(count);
            count++;
        }

        await Assert.That(count).IsEqualTo(payloads.Count);
        await Assert.That(reader.BufferCapacity).IsEqualTo(64 * 1024);
    }

    [Test]
    [Arguments(3)]
    [Arguments(JournalFrame.HeaderSize + 50)]
    public async Task A_torn_last_frame_is_reported_where_it_starts_with_its_bytes(int tornBytes)
    {
        var whole = Frames([[1, 2, 3], new byte[200]]);
        var lastStart = JournalFrame.HeaderSize + 3;
        var torn = whole[..(lastStart + tornBytes)];

        using var reader = new JournalFrameReader(new ChunkedStream(torn, 5));
        await Assert.That(reader.Next(out _)).IsEqualTo(FrameRead.Frame);
        await Assert.That(reader.Next(out _)).IsEqualTo(FrameRead.Damaged);
        await Assert.That(reader.Offset).IsEqualTo(lastStart);
        await Assert.That(reader.ReadRest().AsSpan().SequenceEqual(torn.AsSpan(lastStart))).IsTrue();
    }

    private static byte[] Frames(IEnumerable<byte[]> payloads)
    {
        var file = new MemoryStream();
        foreach (var payload in payloads)
        {
            var frame = new byte[JournalFrame.HeaderSize + payload.Length];
            payload.CopyTo(frame, JournalFrame.HeaderSize);
            JournalFrame.WriteHeader(frame);
            file.Write(frame);
        }

        return file.ToArray();
    }

    /// <summary>A stream that returns at most <paramref name="chunk"/> bytes a read, as a pipe or a slow disk may.</summary>
    private sealed class ChunkedStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, chunk));
    }
}
