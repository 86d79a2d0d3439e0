using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.IO.Hashing;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace Edge.Runtime;

/// <summary>
/// Checks JSON where its bytes enter the node (HTTP bodies, MQTT payloads, CLI arguments), so nothing downstream —
/// the canonical writer, the checksum, serializers, the journal — can meet text it cannot encode. Beyond RFC 8259
/// syntax it refuses what <see cref="Utf8JsonReader"/> lets through: invalid UTF-8 inside strings and names, escapes
/// that leave an unpaired UTF-16 surrogate, duplicate keys in an object, and nesting deeper than the limit.
/// </summary>
/// <remarks>
/// One pass, nothing allocated per key or string: keys are compared as UTF-8 byte ranges (of the input, or of a
/// scratch buffer for the rare escaped key) in one open-addressing table for the whole document, keyed by object.
/// Text is only made for the message of a refusal.
/// </remarks>
public static class JsonInput
{
    /// <summary>Validates <paramref name="utf8Json"/>; on failure <paramref name="problem"/> is an English sentence naming the problem and its JSON path.</summary>
    /// <param name="utf8Json">One JSON value (any kind) as UTF-8.</param>
    /// <param name="maxDepth">
    /// The deepest nesting accepted; an object or array is one level. 1..<see cref="JsonLimits.SerializerDepth"/>: a body
    /// that is data takes at most <see cref="JsonLimits.MaxDepth"/>, and a message that wraps such data in an envelope
    /// (an MQTT desired state's <c>data</c>) adds the envelope's levels to the node's limit.
    /// </param>
    /// <param name="problem">Why the input is refused, or null.</param>
    public static bool TryValidate(ReadOnlySpan<byte> utf8Json, int maxDepth, [NotNullWhen(false)] out string? problem)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDepth, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxDepth, JsonLimits.SerializerDepth);
        if (utf8Json.IsEmpty)
        {
            problem = "The body is empty: expected a JSON value.";
            return false;
        }

        var state = new Walk();
        try
        {
            problem = Check(utf8Json, maxDepth, ref state);
        }
        finally
        {
            state.Dispose();
        }

        return problem is null;
    }

    private const string NotUtf8 = "holds bytes that are not valid UTF-8";
    private const string Unpaired = "holds an escape of an unpaired UTF-16 surrogate (e.g. \\ud800 without its pair)";

    private static string? Check(ReadOnlySpan<byte> json, int maxDepth, ref Walk walk)
    {
        // One level of slack so the depth error is ours, with a path, instead of the reader's.
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = maxDepth + 1 });
        while (true)
        {
            try
            {
                if (!reader.Read())
                {
                    return null;
                }
            }
            catch (JsonException e)
            {
                return $"Malformed JSON near {walk.Format(json)}: {e.Message}";
            }

            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                case JsonTokenType.StartArray:
                    walk.NoteValue();
                    if (reader.CurrentDepth + 1 > maxDepth)
                    {
                        return $"JSON nested deeper than the limit of {maxDepth} levels at {walk.Format(json)}.";
                    }

                    walk.Push(reader.TokenType == JsonTokenType.StartArray);
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    walk.Pop();
                    break;
                case JsonTokenType.PropertyName:
                    if (walk.AddKey(ref reader, json) is { } keyProblem)
                    {
                        return keyProblem;
                    }

                    break;
                case JsonTokenType.String:
                    walk.NoteValue();
                    if (CheckString(ref reader, ref walk.Scratch) is { } valueProblem)
                    {
                        return $"The string at {walk.Format(json)} {valueProblem}.";
                    }

                    break;
                case JsonTokenType.Number:
                    walk.NoteValue();
                    if (IsInfinite(reader.ValueSpan))
                    {
                        return $"The number at {walk.Format(json)} is beyond the range of a double: it would be stored as Infinity, which JSON cannot represent.";
                    }

                    break;
                default:
                    walk.NoteValue();
                    break;
            }
        }
    }

    /// <summary>
    /// True for a float literal too large for a double (<c>1e400</c>): Python and .NET read it as Infinity, which a state
    /// refuses. Integers are exempt (kept verbatim at any size); only literals long enough or with an exponent are parsed.
    /// </summary>
    private static bool IsInfinite(ReadOnlySpan<byte> number)
    {
        var exponent = number.IndexOfAny((byte)'e', (byte)'E') >= 0;
        if (!exponent && (number.Length <= 308 || number.IndexOf((byte)'.') < 0))
        {
            return false;
        }

        return !double.IsFinite(double.Parse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Null when the current string token is valid text; the escaped case unescapes into <paramref name="scratch"/>.</summary>
    private static string? CheckString(ref Utf8JsonReader reader, ref byte[]? scratch)
    {
        var raw = reader.ValueSpan;
        if (!reader.ValueIsEscaped)
        {
            return Utf8.IsValid(raw) ? null : NotUtf8;
        }

        Grow(ref scratch, raw.Length);
        return Unescape(ref reader, scratch, out _);
    }

    /// <summary>Unescapes the current token into <paramref name="destination"/> (at least as long as the raw token).</summary>
    private static string? Unescape(ref Utf8JsonReader reader, Span<byte> destination, out int written)
    {
        written = 0;
        var raw = reader.ValueSpan;
        if (!Utf8.IsValid(raw))
        {
            return NotUtf8;
        }

        try
        {
            written = reader.CopyString(destination);
        }
        catch (InvalidOperationException)
        {
            // The reader refuses to unescape an escape of an unpaired surrogate.
            return Unpaired;
        }

        // Some readers write an unpaired surrogate as its 3-byte (WTF-8) form instead: that is not UTF-8 either.
        return Utf8.IsValid(destination[..written]) ? null : Unpaired;
    }

    private static void Grow(ref byte[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            buffer = ArrayPool<byte>.Shared.Rent(Math.Max(length, 256));
        }
    }

    /// <summary>Where the walk is (for paths) and which keys each open object has (for duplicates).</summary>
    private struct Walk : IDisposable
    {
        public byte[]? Scratch;

        private Frame[]? _frames;
        private int _depth;
        private int _objects;

        // Keys of the open objects, innermost last: an object's keys are contiguous from its frame's KeyBase, so a small
        // object is checked by a short linear scan of its own keys.
        private Key[]? _stack;
        private int _stackCount;

        // Keys of the objects that outgrew the scan: open addressing over (object, hash), bytes compared on a hash match.
        private Key[]? _keys;
        private int _keyMask;
        private int _keyCount;

        // Unescaped copies of escaped keys, appended; a Key with Escaped set points here instead of into the input.
        private byte[]? _escapedKeys;
        private int _escapedLength;

        public void Push(bool isArray)
        {
            _frames ??= ArrayPool<Frame>.Shared.Rent(16);
            if (_depth == _frames.Length)
            {
                var bigger = ArrayPool<Frame>.Shared.Rent(_depth * 2);
                _frames.AsSpan(0, _depth).CopyTo(bigger);
                ArrayPool<Frame>.Shared.Return(_frames);
                _frames = bigger;
            }

            _frames[_depth++] = new Frame { IsArray = isArray, Index = -1, Object = isArray ? 0 : ++_objects, KeyStart = -1, KeyBase = _stackCount };
        }

        public void Pop()
        {
            if (_depth > 0)
            {
                _stackCount = _frames![--_depth].KeyBase;
            }
        }

        /// <summary>A value starts: in an array it is the next element.</summary>
        public readonly void NoteValue()
        {
            if (_depth > 0 && _frames![_depth - 1].IsArray)
            {
                _frames[_depth - 1].Index++;
            }
        }

        /// <summary>Checks and records the current key; the refusal message, or null.</summary>
        public string? AddKey(ref Utf8JsonReader reader, ReadOnlySpan<byte> json)
        {
            ref var frame = ref _frames![_depth - 1];
            frame.KeyStart = -1;
            int start;
            int length;
            var escaped = reader.ValueIsEscaped;
            if (!escaped)
            {
                if (!Utf8.IsValid(reader.ValueSpan))
                {
                    return $"A key of the object at {Format(json)} {NotUtf8}.";
                }

                start = (int)reader.TokenStartIndex + 1; // after the opening quote
                length = reader.ValueSpan.Length;
            }
            else
            {
                if (_escapedKeys is null || _escapedKeys.Length < _escapedLength + reader.ValueSpan.Length)
                {
                    // Earlier escaped keys live here too: keep them.
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(256, (_escapedLength + reader.ValueSpan.Length) * 2));
                    _escapedKeys?.AsSpan(0, _escapedLength).CopyTo(bigger);
                    if (_escapedKeys is not null)
                    {
                        ArrayPool<byte>.Shared.Return(_escapedKeys);
                    }

                    _escapedKeys = bigger;
                }

                if (Unescape(ref reader, _escapedKeys.AsSpan(_escapedLength), out length) is { } problem)
                {
                    return $"A key of the object at {Format(json)} {problem}.";
                }

                start = _escapedLength;
                _escapedLength += length;
            }

            frame.KeyStart = start;
            frame.KeyLength = length;
            frame.KeyEscaped = escaped;
            var key = new Key { Object = frame.Object, Start = start, Length = length, Escaped = escaped };
            return (frame.Hashed ? Insert(key, json) : Scan(ref frame, key, json))
                ? null
                : $"Duplicate key '{KeyText(json, frame)}' at {Format(json)}: each key may appear once in an object.";
        }

        private const int ScanLimit = 16;

        /// <summary>Adds a key of a small object by comparing it with the object's others; past the limit the object moves to the table.</summary>
        private bool Scan(ref Frame frame, Key key, ReadOnlySpan<byte> json)
        {
            var bytes = Bytes(json, key.Start, key.Length, key.Escaped);
            for (var i = frame.KeyBase; i < _stackCount; i++)
            {
                ref var other = ref _stack![i];
                if (other.Length == key.Length && Bytes(json, other.Start, other.Length, other.Escaped).SequenceEqual(bytes))
                {
                    return false;
                }
            }

            if (_stackCount - frame.KeyBase == ScanLimit)
            {
                frame.Hashed = true;
                for (var i = frame.KeyBase; i < _stackCount; i++)
                {
                    Insert(_stack![i], json);
                }

                return Insert(key, json);
            }

            _stack ??= ArrayPool<Key>.Shared.Rent(64);
            if (_stackCount == _stack.Length)
            {
                var bigger = ArrayPool<Key>.Shared.Rent(_stackCount * 2);
                _stack.AsSpan(0, _stackCount).CopyTo(bigger);
                ArrayPool<Key>.Shared.Return(_stack);
                _stack = bigger;
            }

            _stack[_stackCount++] = key;
            return true;
        }

        public readonly string Format(ReadOnlySpan<byte> json)
        {
            var text = new StringBuilder("$");
            for (var i = 0; i < _depth; i++)
            {
                ref var frame = ref _frames![i];
                if (frame.IsArray)
                {
                    if (frame.Index >= 0)
                    {
                        text.Append('[').Append(frame.Index).Append(']');
                    }
                }
                else if (frame.KeyStart >= 0)
                {
                    var name = KeyText(json, frame);
                    if (IsPlainName(name))
                    {
                        text.Append('.').Append(name);
                    }
                    else
                    {
                        text.Append("['").Append(name.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal)).Append("']");
                    }
                }
            }

            return text.ToString();
        }

        public void Dispose()
        {
            if (_frames is not null)
            {
                ArrayPool<Frame>.Shared.Return(_frames);
            }

            if (_keys is not null)
            {
                ArrayPool<Key>.Shared.Return(_keys);
            }

            if (_stack is not null)
            {
                ArrayPool<Key>.Shared.Return(_stack);
            }

            if (_escapedKeys is not null)
            {
                ArrayPool<byte>.Shared.Return(_escapedKeys);
            }

            if (Scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(Scratch);
            }

            this = default;
        }

        private readonly string KeyText(ReadOnlySpan<byte> json, in Frame frame) =>
            Encoding.UTF8.GetString(Bytes(json, frame.KeyStart, frame.KeyLength, frame.KeyEscaped));

        private readonly ReadOnlySpan<byte> Bytes(ReadOnlySpan<byte> json, int start, int length, bool escaped) =>
            escaped ? _escapedKeys.AsSpan(start, length) : json.Slice(start, length);

        /// <summary>Adds a key; false when its object already has it.</summary>
        private bool Insert(Key key, ReadOnlySpan<byte> json)
        {
            if (_keys is null || (_keyCount + 1) * 2 > _keyMask + 1)
            {
                Rehash();
            }

            var bytes = Bytes(json, key.Start, key.Length, key.Escaped);
            key.Hash = (uint)XxHash3.HashToUInt64(bytes, key.Object);
            var mask = _keyMask;
            for (var slot = (int)(key.Hash & (uint)mask); ; slot = (slot + 1) & mask)
            {
                ref var existing = ref _keys![slot];
                if (existing.Object == 0)
                {
                    existing = key;
                    _keyCount++;
                    return true;
                }

                if (existing.Object == key.Object && existing.Hash == key.Hash && existing.Length == key.Length
                    && Bytes(json, existing.Start, existing.Length, existing.Escaped).SequenceEqual(bytes))
                {
                    return false;
                }
            }
        }

        private void Rehash()
        {
            var old = _keys;
            var size = old is null ? 64 : (_keyMask + 1) * 2;
            _keys = ArrayPool<Key>.Shared.Rent(size);
            Array.Clear(_keys, 0, size);
            _keyMask = size - 1;
            _keyCount = 0;
            if (old is null)
            {
                return;
            }

            var mask = _keyMask;
            foreach (var key in old.AsSpan(0, size / 2))
            {
                if (key.Object != 0)
                {
                    var slot = (int)(key.Hash & (uint)mask);
                    while (_keys[slot].Object != 0)
                    {
                        slot = (slot + 1) & mask;
                    }

                    _keys[slot] = key;
                    _keyCount++;
                }
            }

            ArrayPool<Key>.Shared.Return(old);
        }

        private static bool IsPlainName(string name)
        {
            if (name.Length == 0 || char.IsAsciiDigit(name[0]))
            {
                return false;
            }

            foreach (var c in name)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '_' && c != '-')
                {
                    return false;
                }
            }

            return true;
        }
    }

    private struct Frame
    {
        public bool IsArray;
        public int Index;
        public int Object;
        public int KeyStart;
        public int KeyLength;
        public bool KeyEscaped;
        public int KeyBase;
        public bool Hashed;
    }

    private struct Key
    {
        public int Object;
        public int Start;
        public int Length;
        public uint Hash;
        public bool Escaped;
    }
}
