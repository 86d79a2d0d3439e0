using System.Buffers;
using System.Text.Json;

namespace Edge.Runtime;

/// <summary>
/// The reader path of the canonical form: JSON text canonicalized token by token from a <see cref="Utf8JsonReader"/>,
/// with no DOM. Numbers keep the int/float nature their text gives them (as Python's <c>json.loads</c> reads them).
/// Each object's members are written in arrival order; only when their keys arrive out of order are they reordered
/// (canonical input, the common case, is written once and never moved). Keys compare by their unescaped UTF-8 bytes,
/// which is Unicode code-point order.
/// </summary>
public static partial class CanonicalJson
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    /// <summary>
    /// The canonical bytes of the one JSON object <paramref name="utf8Json"/> holds. Refused with an
    /// <see cref="ArgumentException"/>: anything but an object, malformed JSON, trailing data, invalid UTF-8 or
    /// unpaired surrogate escapes in strings, duplicate keys, nesting deeper than the limit.
    /// </summary>
    internal static byte[] CanonicalizeObject(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
        try
        {
            if (!reader.Read())
            {
                throw new ArgumentException("The JSON is empty: expected an object.");
            }

            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new ArgumentException($"Expected a JSON object, got {Describe(reader.TokenType)}.");
            }

            var bytes = Canonicalize(ref reader);
            if (reader.Read())
            {
                throw new ArgumentException("Trailing data after the JSON object.");
            }

            return bytes;
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"Malformed JSON: {e.Message}", e);
        }
    }

    /// <summary>
    /// Canonicalizes the value the reader is on (it is left on the value's last token), e.g. the <c>data</c> member of
    /// a wire message inside a converter. Throws <see cref="JsonException"/> for malformed input and
    /// <see cref="ArgumentException"/> for JSON the canonical form cannot hold.
    /// </summary>
    internal static byte[] Canonicalize(ref Utf8JsonReader reader)
    {
        var output = CanonicalBuffer.Rent();
        var scratch = Scratch.Rent();
        try
        {
            WriteToken(ref reader, output, scratch);
            return output.ToArray();
        }
        catch (InvalidOperationException e)
        {
            // The reader's own refusals (invalid escapes, transcoding) surface as InvalidOperationException.
            throw new ArgumentException($"The JSON cannot be canonicalized: {e.Message}", e);
        }
        finally
        {
            Scratch.Return(scratch);
            CanonicalBuffer.Return(output);
        }
    }

    /// <summary>The JSON kind a token starts, in lowercase (<c>array</c>, <c>string</c>, …) as the API's messages name it.</summary>
    internal static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True => "true",
        JsonTokenType.False => "false",
        JsonTokenType.Null => "null",
        _ => token.ToString().ToLowerInvariant(),
    };

    /// <summary>Canonicalizes parsed JSON text (an element's raw value) into <paramref name="output"/>.</summary>
    private static void WriteRaw(ReadOnlySpan<byte> raw, CanonicalBuffer output, int maxDepth)
    {
        var reader = new Utf8JsonReader(raw, new JsonReaderOptions { MaxDepth = maxDepth });
        var scratch = Scratch.Rent();
        try
        {
            reader.Read();
            WriteToken(ref reader, output, scratch);
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"State data cannot be canonicalized: {e.Message}", e);
        }
        finally
        {
            Scratch.Return(scratch);
        }
    }

    private static void Next(ref Utf8JsonReader reader)
    {
        if (!reader.Read())
        {
            throw new JsonException("The JSON ends inside a value.");
        }
    }

    private static void WriteToken(ref Utf8JsonReader reader, CanonicalBuffer output, Scratch scratch)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                WriteReaderObject(ref reader, output, scratch);
                break;
            case JsonTokenType.StartArray:
                output.Write((byte)'[');
                var first = true;
                while (true)
                {
                    Next(ref reader);
                    if (reader.TokenType == JsonTokenType.EndArray)
                    {
                        break;
                    }

                    if (!first)
                    {
                        output.WriteSeparator();
                    }

                    first = false;
                    WriteToken(ref reader, output, scratch);
                }

                output.Write((byte)']');
                break;
            case JsonTokenType.String:
                if (!reader.ValueIsEscaped && !reader.HasValueSequence)
                {
                    WriteUtf8String(reader.ValueSpan, output, verbatim: true);
                }
                else
                {
                    var start = scratch.KeyCount;
                    var length = scratch.AppendString(ref reader);
                    WriteUtf8String(scratch.Keys.AsSpan(start, length), output);
                    scratch.KeyCount = start;
                }

                break;
            case JsonTokenType.Number:
                WriteRawNumber(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan, output);
                break;
            case JsonTokenType.True:
                output.Write("true"u8);
                break;
            case JsonTokenType.False:
                output.Write("false"u8);
                break;
            case JsonTokenType.Null:
                output.Write("null"u8);
                break;
            default:
                throw new JsonException($"Unexpected {reader.TokenType} in a JSON value.");
        }
    }

    private static void WriteReaderObject(ref Utf8JsonReader reader, CanonicalBuffer output, Scratch scratch)
    {
        var objectStart = output.Count;
        output.Write((byte)'{');
        var firstMember = scratch.MemberCount;
        var keyBase = scratch.KeyCount;
        var sorted = true;
        while (true)
        {
            Next(ref reader);
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                break;
            }

            if (scratch.MemberCount > firstMember)
            {
                output.WriteSeparator();
            }

            var keyStart = scratch.KeyCount;
            var keyLength = scratch.AppendString(ref reader);
            var segmentStart = output.Count;
            WriteUtf8String(scratch.Keys.AsSpan(keyStart, keyLength), output, verbatim: !reader.ValueIsEscaped);
            output.Write(": "u8);
            Next(ref reader);
            WriteToken(ref reader, output, scratch);

            var member = new Member(keyStart, keyLength, segmentStart, output.Count - segmentStart);
            if (sorted && scratch.MemberCount > firstMember)
            {
                var previous = scratch.Members[scratch.MemberCount - 1];
                var order = scratch.Key(previous).SequenceCompareTo(scratch.Key(member));
                if (order == 0)
                {
                    throw Duplicate(scratch.Key(member));
                }

                sorted = order < 0;
            }

            scratch.Add(member);
        }

        if (!sorted)
        {
            Reorder(output, scratch, firstMember, objectStart + 1);
        }

        output.Write((byte)'}');
        scratch.MemberCount = firstMember;
        scratch.KeyCount = keyBase;
    }

    /// <summary>Rewrites an object's members (written in arrival order after <paramref name="regionStart"/>) in key order.</summary>
    private static void Reorder(CanonicalBuffer output, Scratch scratch, int firstMember, int regionStart)
    {
        var region = output.WrittenSpan[regionStart..];
        var copy = scratch.Copy(region.Length);
        region.CopyTo(copy);
        var members = scratch.Members.AsSpan(firstMember, scratch.MemberCount - firstMember);
        SortMembers(members, scratch.Keys);
        output.Truncate(regionStart);
        for (var i = 0; i < members.Length; i++)
        {
            if (i > 0)
            {
                if (scratch.Key(members[i - 1]).SequenceEqual(scratch.Key(members[i])))
                {
                    throw Duplicate(scratch.Key(members[i]));
                }

                output.WriteSeparator();
            }

            output.Write(copy.AsSpan(members[i].Start - regionStart, members[i].Length));
        }
    }

    /// <summary>Sorts members by key: an insertion sort for small objects (no delegate, the comparison inlined), else Span.Sort.</summary>
    private static void SortMembers(Span<Member> members, byte[] keys)
    {
        if (members.Length > 16)
        {
            members.Sort(new MemberComparer(keys));
            return;
        }

        for (var i = 1; i < members.Length; i++)
        {
            var member = members[i];
            var key = keys.AsSpan(member.KeyStart, member.KeyLength);
            var j = i - 1;
            while (j >= 0 && keys.AsSpan(members[j].KeyStart, members[j].KeyLength).SequenceCompareTo(key) > 0)
            {
                members[j + 1] = members[j];
                j--;
            }

            members[j + 1] = member;
        }
    }

    private static ArgumentException Duplicate(ReadOnlySpan<byte> key) =>
        new($"Duplicate key '{System.Text.Encoding.UTF8.GetString(key)}': each key may appear once in an object.");

    private readonly record struct Member(int KeyStart, int KeyLength, int Start, int Length);

    private readonly struct MemberComparer(byte[] keys) : IComparer<Member>
    {
        public int Compare(Member x, Member y) =>
            keys.AsSpan(x.KeyStart, x.KeyLength).SequenceCompareTo(keys.AsSpan(y.KeyStart, y.KeyLength));
    }

    /// <summary>Per-call working memory: the members and unescaped keys of the objects being written (a stack).</summary>
    private sealed class Scratch
    {
        [ThreadStatic]
        private static Scratch? t_cached;

        public Member[] Members = new Member[64];
        public int MemberCount;
        public byte[] Keys = new byte[1024];
        public int KeyCount;
        private byte[] _copy = new byte[1024];

        public static Scratch Rent()
        {
            var scratch = t_cached ?? new Scratch();
            t_cached = null;
            scratch.MemberCount = 0;
            scratch.KeyCount = 0;
            return scratch;
        }

        public static void Return(Scratch scratch)
        {
            if (scratch.Members.Length <= 1 << 16 && scratch.Keys.Length <= 1 << 20 && scratch._copy.Length <= 1 << 20)
            {
                t_cached = scratch;
            }
        }

        /// <summary>A buffer of at least <paramref name="length"/> bytes for one reorder (inner objects reorder before outer ones, never at once).</summary>
        public byte[] Copy(int length)
        {
            if (_copy.Length < length)
            {
                _copy = new byte[Math.Max(length, _copy.Length * 2)];
            }

            return _copy;
        }

        public ReadOnlySpan<byte> Key(Member member) => Keys.AsSpan(member.KeyStart, member.KeyLength);

        public void Add(Member member)
        {
            if (MemberCount == Members.Length)
            {
                Array.Resize(ref Members, Members.Length * 2);
            }

            Members[MemberCount++] = member;
        }

        /// <summary>Appends the current string or property name, unescaped, to <see cref="Keys"/>; returns its length.</summary>
        public int AppendString(ref Utf8JsonReader reader)
        {
            var max = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
            if (Keys.Length - KeyCount < max)
            {
                Array.Resize(ref Keys, Math.Max(Keys.Length * 2, KeyCount + max));
            }

            int written;
            if (!reader.ValueIsEscaped && !reader.HasValueSequence)
            {
                reader.ValueSpan.CopyTo(Keys.AsSpan(KeyCount));
                written = max;
            }
            else
            {
                written = reader.CopyString(Keys.AsSpan(KeyCount));
            }

            KeyCount += written;
            return written;
        }
    }
}
