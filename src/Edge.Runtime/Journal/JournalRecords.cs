using System.Collections;

namespace Edge.Runtime;

/// <summary>
/// The records of a recovered journal, decoded on access from the verified file bytes, so replaying a long journal
/// keeps one record's JSON alive at a time instead of all of them.
/// </summary>
internal sealed class JournalRecords(string path, byte[] journal, List<int> frameOffsets) : IReadOnlyList<SyncRecord>
{
    public int Count => frameOffsets.Count;

    public SyncRecord this[int index]
    {
        get
        {
            var offset = frameOffsets[index];
            if (!JournalFrame.TryRead(journal, offset, out var payload))
            {
                throw new JournalCorruptException(path, offset, "a frame verified at open no longer verifies");
            }

            try
            {
                return JournalCodec.ReadRecord(payload);
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException or System.Text.Json.JsonException or FormatException or OverflowException)
            {
                throw new JournalCorruptException(path, offset, $"a frame with a valid checksum does not decode ({e.Message})", e);
            }
        }
    }

    public IEnumerator<SyncRecord> GetEnumerator()
    {
        for (var i = 0; i < frameOffsets.Count; i++)
        {
            yield return this[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
