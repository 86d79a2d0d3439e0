using System.Collections;

namespace Edge.Runtime;

/// <summary>
/// The records of a recovered journal, read from disk and decoded one at a time as they are enumerated, so replaying
/// a long journal holds one frame and one record in memory, not the file and not every record.
/// </summary>
/// <remarks>Reads the <paramref name="count"/> frames that were verified at open (the journal's torn tail, if any, is
/// already cut off and nothing is appended before the synchronizer has replayed them).</remarks>
internal sealed class JournalRecords(IJournalFileSystem fileSystem, string path, long count) : IEnumerable<SyncRecord>
{
    public IEnumerator<SyncRecord> GetEnumerator()
    {
        if (count == 0)
        {
            yield break;
        }

        using var reader = new JournalFrameReader(fileSystem.OpenRead(path));
        for (long i = 0; i < count; i++)
        {
            var offset = reader.Offset;
            if (reader.Next(out _) != FrameRead.Frame)
            {
                throw new JournalCorruptException(path, offset, "a frame verified at open no longer verifies");
            }

            yield return Decode(reader, offset);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private SyncRecord Decode(JournalFrameReader reader, long offset)
    {
        try
        {
            return JournalCodec.ReadRecord(reader.LastPayload);
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or System.Text.Json.JsonException or FormatException or OverflowException)
        {
            throw new JournalCorruptException(path, offset, $"a frame with a valid checksum does not decode ({e.Message})", e);
        }
    }
}
