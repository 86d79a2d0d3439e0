using System.Text.Json;

namespace Edge.Runtime;

/// <summary>
/// Where each top-level member (<c>"key": value</c>) of a canonical object lies in its bytes, with the member's key
/// unescaped (UTF-8, whose byte order is code-point order, as the canonical form sorts). A delta is merged by copying
/// the kept members' bytes: only the delta's own keys were canonicalized.
/// </summary>
internal sealed class StateSegments
{
    private readonly byte[] _keys;
    private readonly Segment[] _items;

    private StateSegments(byte[] keys, Segment[] items)
    {
        _keys = keys;
        _items = items;
    }

    public int Count => _items.Length;

    public ReadOnlySpan<byte> Key(int index) => _keys.AsSpan(_items[index].KeyStart, _items[index].KeyLength);

    /// <summary>The byte range of member <paramref name="index"/> in the canonical bytes.</summary>
    public Range Bytes(int index) => new(_items[index].Start, _items[index].Start + _items[index].Length);

    /// <summary>Finds the members of canonical object bytes (one pass of the reader; values are skipped, not read).</summary>
    public static StateSegments Scan(ReadOnlySpan<byte> canonical)
    {
        var reader = new Utf8JsonReader(canonical, new JsonReaderOptions { MaxDepth = JsonLimits.SerializerDepth });
        reader.Read();
        var items = new List<Segment>();
        var keys = new byte[256];
        var keyCount = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var start = checked((int)reader.TokenStartIndex);
            var max = reader.ValueSpan.Length;
            if (keys.Length - keyCount < max)
            {
                Array.Resize(ref keys, Math.Max(keys.Length * 2, keyCount + max));
            }

            var keyLength = reader.ValueIsEscaped ? reader.CopyString(keys.AsSpan(keyCount)) : Copy(reader.ValueSpan, keys.AsSpan(keyCount));
            reader.Read();
            reader.Skip();
            items.Add(new Segment(keyCount, keyLength, start, checked((int)reader.BytesConsumed) - start));
            keyCount += keyLength;
        }

        return new StateSegments(keys, [.. items]);
    }

    /// <summary>
    /// The canonical bytes of <paramref name="state"/> with <paramref name="delta"/>'s top-level members set over it
    /// (Python's <c>{**state, **delta}</c>): a merge of the two sorted key lists, kept members copied as they are.
    /// </summary>
    public static byte[] Merge(
        ReadOnlySpan<byte> state, StateSegments stateSegments, ReadOnlySpan<byte> delta, StateSegments deltaSegments, out StateSegments merged)
    {
        // Pass 1: the merged order (>= 0: a state member, < 0: ~index of a delta member) and its length.
        var order = new int[stateSegments.Count + deltaSegments.Count];
        var count = 0;
        long length = 2;
        var keyBytes = 0;
        int i = 0, j = 0;
        while (i < stateSegments.Count || j < deltaSegments.Count)
        {
            int pick;
            if (j == deltaSegments.Count)
            {
                pick = i++;
            }
            else if (i == stateSegments.Count)
            {
                pick = ~j++;
            }
            else
            {
                var c = stateSegments.Key(i).SequenceCompareTo(deltaSegments.Key(j));
                if (c < 0)
                {
                    pick = i++;
                }
                else
                {
                    // Equal keys: the delta's value replaces the state's.
                    i += c == 0 ? 1 : 0;
                    pick = ~j++;
                }
            }

            var item = pick >= 0 ? stateSegments._items[pick] : deltaSegments._items[~pick];
            length += item.Length + (count > 0 ? 2 : 0);
            keyBytes += item.KeyLength;
            order[count++] = pick;
        }

        // Pass 2: copy the members and their keys.
        var bytes = new byte[checked((int)length)];
        var keys = new byte[keyBytes];
        var items = new Segment[count];
        bytes[0] = (byte)'{';
        var at = 1;
        var keyAt = 0;
        for (var n = 0; n < count; n++)
        {
            var pick = order[n];
            var source = pick >= 0 ? stateSegments : deltaSegments;
            var from = pick >= 0 ? state : delta;
            var item = source._items[pick >= 0 ? pick : ~pick];
            if (n > 0)
            {
                bytes[at++] = (byte)',';
                bytes[at++] = (byte)' ';
            }

            from.Slice(item.Start, item.Length).CopyTo(bytes.AsSpan(at));
            source._keys.AsSpan(item.KeyStart, item.KeyLength).CopyTo(keys.AsSpan(keyAt));
            items[n] = new Segment(keyAt, item.KeyLength, at, item.Length);
            at += item.Length;
            keyAt += item.KeyLength;
        }

        bytes[at] = (byte)'}';
        merged = new StateSegments(keys, items);
        return bytes;
    }

    private static int Copy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        return source.Length;
    }

    private readonly record struct Segment(int KeyStart, int KeyLength, int Start, int Length);
}
