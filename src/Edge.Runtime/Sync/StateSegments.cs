using System.Text.Json;

namespace Edge.Runtime;

/// <summary>
/// Where each top-level member (<c>"key": value</c>) of a canonical object lies in its bytes, with the members' keys
/// unescaped (UTF-8, whose byte order is code-point order, as the canonical form sorts). A delta is merged by copying
/// the kept members' bytes: only the delta's own keys were canonicalized.
/// </summary>
/// <remarks>
/// Members are stored as offsets only (<c>_starts[i]</c>; a member ends two bytes, the <c>", "</c> separator, before
/// the next one starts, and <c>_starts[Count]</c> is placed as if a separator followed the last), and the keys as a
/// <see cref="KeyTable"/> that a merge which adds no key shares with the state it came from. So a delta that updates
/// existing keys of a 1 MB state allocates the merged bytes and one small offset array, not a copy of every key.
/// </remarks>
internal sealed class StateSegments
{
    private readonly KeyTable _keys;
    private readonly int[] _starts;

    private StateSegments(KeyTable keys, int[] starts)
    {
        _keys = keys;
        _starts = starts;
    }

    public int Count => _keys.Count;

    public ReadOnlySpan<byte> Key(int index) => _keys.Key(index);

    /// <summary>The byte range of member <paramref name="index"/> in the canonical bytes.</summary>
    public Range Bytes(int index) => new(_starts[index], _starts[index + 1] - 2);

    private int Length(int index) => _starts[index + 1] - 2 - _starts[index];

    /// <summary>Finds the members of canonical object bytes (one pass of the reader; values are skipped, not read).</summary>
    public static StateSegments Scan(ReadOnlySpan<byte> canonical)
    {
        var reader = new Utf8JsonReader(canonical, new JsonReaderOptions { MaxDepth = JsonLimits.SerializerDepth });
        reader.Read();
        var starts = new List<int>();
        var keyStarts = new List<int> { 0 };
        var keys = new byte[256];
        var keyCount = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            starts.Add(checked((int)reader.TokenStartIndex));
            var max = reader.ValueSpan.Length;
            if (keys.Length - keyCount < max)
            {
                Array.Resize(ref keys, Math.Max(keys.Length * 2, keyCount + max));
            }

            keyCount += reader.ValueIsEscaped ? reader.CopyString(keys.AsSpan(keyCount)) : Copy(reader.ValueSpan, keys.AsSpan(keyCount));
            keyStarts.Add(keyCount);
            reader.Read();
            reader.Skip();
        }

        // As if ", " followed the last member (which ends before the closing brace).
        starts.Add(canonical.Length - 1 + 2);
        return new StateSegments(new KeyTable(keys, [.. keyStarts]), [.. starts]);
    }

    /// <summary>
    /// The canonical bytes of <paramref name="state"/> with <paramref name="delta"/>'s top-level members set over it
    /// (Python's <c>{**state, **delta}</c>): a merge of the two sorted key lists, kept members copied as they are.
    /// </summary>
    public static byte[] Merge(
        ReadOnlySpan<byte> state, StateSegments stateSegments, ReadOnlySpan<byte> delta, StateSegments deltaSegments, out StateSegments merged)
    {
        // Pass 1: the merged length and member count, and whether the delta brings a key the state lacks.
        var count = 0;
        long length = 2;
        var newKeys = false;
        var cursor = new MergeCursor(stateSegments, deltaSegments);
        while (cursor.Next(out var pick, out var replaces))
        {
            length += (pick >= 0 ? stateSegments.Length(pick) : deltaSegments.Length(~pick)) + (count > 0 ? 2 : 0);
            newKeys |= pick < 0 && !replaces;
            count++;
        }

        // Pass 2: copy the members (the bytes are all written, so they need not be zeroed first).
        var bytes = GC.AllocateUninitializedArray<byte>(checked((int)length));
        var starts = new int[count + 1];
        var keys = newKeys ? new KeyTableBuilder(count) : default;
        bytes[0] = (byte)'{';
        var at = 1;
        var n = 0;
        cursor = new MergeCursor(stateSegments, deltaSegments);
        while (cursor.Next(out var pick, out _))
        {
            var source = pick >= 0 ? stateSegments : deltaSegments;
            var index = pick >= 0 ? pick : ~pick;
            var from = pick >= 0 ? state : delta;
            if (n > 0)
            {
                bytes[at++] = (byte)',';
                bytes[at++] = (byte)' ';
            }

            var memberLength = source.Length(index);
            from.Slice(source._starts[index], memberLength).CopyTo(bytes.AsSpan(at));
            if (newKeys)
            {
                keys.Add(source.Key(index));
            }

            starts[n++] = at;
            at += memberLength;
        }

        bytes[at] = (byte)'}';
        starts[count] = at + 2;
        // No new key: the merged keys are the state's, in the same order (replaced members keep their key).
        merged = new StateSegments(newKeys ? keys.Build() : stateSegments._keys, starts);
        return bytes;
    }

    private static int Copy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        source.CopyTo(destination);
        return source.Length;
    }

    /// <summary>Walks two sorted key lists in merged order: <c>pick</c> >= 0 is a state member, &lt; 0 the delta member <c>~pick</c>.</summary>
    private struct MergeCursor(StateSegments state, StateSegments delta)
    {
        private int _i;
        private int _j;

        public bool Next(out int pick, out bool replaces)
        {
            replaces = false;
            if (_j == delta.Count)
            {
                pick = _i;
                return _i++ < state.Count;
            }

            if (_i == state.Count)
            {
                pick = ~_j++;
                return true;
            }

            var c = state.Key(_i).SequenceCompareTo(delta.Key(_j));
            if (c < 0)
            {
                pick = _i++;
                return true;
            }

            // Equal keys: the delta's value replaces the state's.
            replaces = c == 0;
            _i += replaces ? 1 : 0;
            pick = ~_j++;
            return true;
        }
    }

    /// <summary>The members' unescaped keys, concatenated; immutable once built, so merged states share it.</summary>
    private sealed class KeyTable(byte[] bytes, int[] starts)
    {
        public int Count => starts.Length - 1;

        public ReadOnlySpan<byte> Key(int index) => bytes.AsSpan(starts[index], starts[index + 1] - starts[index]);
    }

    private struct KeyTableBuilder(int count)
    {
        private byte[] _bytes = new byte[Math.Max(16, count * 8)];
        private readonly int[] _starts = new int[count + 1];
        private int _count;

        public void Add(ReadOnlySpan<byte> key)
        {
            var at = _starts[_count];
            if (_bytes.Length - at < key.Length)
            {
                Array.Resize(ref _bytes, Math.Max(_bytes.Length * 2, at + key.Length));
            }

            key.CopyTo(_bytes.AsSpan(at));
            _starts[++_count] = at + key.Length;
        }

        public readonly KeyTable Build() => new(_bytes, _starts);
    }
}
