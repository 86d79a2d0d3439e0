using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Edge.Runtime;

/// <summary>
/// Writes a <see cref="JsonNode"/> exactly as CPython's <c>json.dumps(data, sort_keys=True)</c> does, so that
/// a checksum computed here matches one computed by a Python peer over the same data.
/// </summary>
/// <remarks>
/// The form: separators <c>", "</c> and <c>": "</c>; object keys sorted by Unicode code point; every character
/// outside printable ASCII escaped as lowercase <c>\uXXXX</c> (UTF-16 units, so astral characters become
/// surrogate pairs); integers verbatim at any size; floats in Python <c>repr</c> form.
/// </remarks>
public static partial class CanonicalJson
{
    /// <summary>Appends the canonical UTF-8 form of <paramref name="node"/> to <paramref name="output"/>.</summary>
    /// <remarks>NaN and infinities are written as Python writes them (<c>NaN</c>, <c>Infinity</c>); states refuse them.</remarks>
    public static void Write(JsonNode? node, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var buffer = CanonicalBuffer.Rent();
        try
        {
            WriteNode(node, buffer, depth: 0, refuseNonFinite: false);
            var written = buffer.WrittenSpan;
            written.CopyTo(output.GetSpan(written.Length));
            output.Advance(written.Length);
        }
        finally
        {
            CanonicalBuffer.Return(buffer);
        }
    }

    /// <summary>Returns the canonical form as a string (for diagnostics and tests; hashing uses <see cref="Write"/>).</summary>
    public static string ToCanonicalString(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(node, buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>
    /// The canonical bytes of a state's data built in C#: read once, never kept. NaN and infinities, which JSON cannot
    /// hold, are refused with an <see cref="ArgumentException"/> naming their JSON path.
    /// </summary>
    internal static byte[] CanonicalizeNode(JsonNode node)
    {
        var buffer = CanonicalBuffer.Rent();
        try
        {
            WriteNode(node, buffer, depth: 0, refuseNonFinite: true);
            return buffer.ToArray();
        }
        finally
        {
            CanonicalBuffer.Return(buffer);
        }
    }

    /// <summary>As <see cref="Write"/>, into a canonical buffer.</summary>
    internal static void WriteTo(JsonNode? node, CanonicalBuffer output) => WriteNode(node, output, depth: 0, refuseNonFinite: false);

    // What the canonical form writes as is: printable ASCII but the quote and the backslash (one scan finds the rest).
    private const string Plain = " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~";
    private static readonly SearchValues<char> PlainChars = SearchValues.Create(Plain);
    private static readonly SearchValues<byte> PlainBytes = SearchValues.Create(System.Text.Encoding.ASCII.GetBytes(Plain));

    // Every layer shares one limit: data accepted anywhere (up to JsonLimits.MaxDepth, inside its envelopes) can be written.
    private const int MaxDepth = JsonLimits.SerializerDepth;

    private static void WriteNode(JsonNode? node, CanonicalBuffer output, int depth, bool refuseNonFinite)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidOperationException($"State data is nested deeper than {MaxDepth} levels.");
        }

        switch (node)
        {
            case null:
                output.Write("null"u8);
                break;
            case JsonObject obj:
                WriteObject(obj, output, depth, refuseNonFinite);
                break;
            case JsonArray array:
                output.Write((byte)'[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        output.WriteSeparator();
                    }

                    WriteNode(array[i], output, depth + 1, refuseNonFinite);
                }

                output.Write((byte)']');
                break;
            case JsonValue value:
                WriteValue(value, output, depth, refuseNonFinite);
                break;
            default:
                throw new InvalidOperationException($"Unsupported JSON node {node.GetType().Name}.");
        }
    }

    private static void WriteObject(JsonObject obj, CanonicalBuffer output, int depth, bool refuseNonFinite)
    {
        var count = obj.Count;
        if (count == 0)
        {
            output.Write("{}"u8);
            return;
        }

        var members = MemberStack.Push(count, out var start);
        try
        {
            var span = members.AsSpan(start, count);
            for (var i = 0; i < count; i++)
            {
                span[i] = obj.GetAt(i);
            }

            SortByCodePoint(span);

            output.Write((byte)'{');
            for (var i = 0; i < span.Length; i++)
            {
                if (i > 0)
                {
                    output.WriteSeparator();
                }

                WriteString(span[i].Key, output);
                output.Write(": "u8);
                WriteNode(span[i].Value, output, depth + 1, refuseNonFinite);
            }

            output.Write((byte)'}');
        }
        finally
        {
            MemberStack.Pop(members, start, count);
        }
    }

    /// <summary>
    /// This thread's stack of the members of the objects being written: an object takes the slots above its parent's
    /// and frees them when written (no pool round trip per object, which a 1 MB state of small objects felt).
    /// </summary>
    private static class MemberStack
    {
        // Stacks that grew past this are dropped when empty rather than pinned per thread forever.
        private const int MaxRetainedSlots = 1 << 16;

        [ThreadStatic]
        private static KeyValuePair<string, JsonNode?>[]? t_slots;

        [ThreadStatic]
        private static int t_top;

        /// <summary>Takes <paramref name="count"/> slots from <paramref name="start"/> of the returned array.</summary>
        public static KeyValuePair<string, JsonNode?>[] Push(int count, out int start)
        {
            var slots = t_slots ??= new KeyValuePair<string, JsonNode?>[64];
            start = t_top;
            if (slots.Length - start < count)
            {
                // The parents' slots are copied along; a parent keeps reading its (unchanged) old array.
                Array.Resize(ref slots, Math.Max(slots.Length * 2, start + count));
                t_slots = slots;
            }

            t_top = start + count;
            return slots;
        }

        /// <summary>Frees the slots of <see cref="Push"/> (and the node references in them).</summary>
        public static void Pop(KeyValuePair<string, JsonNode?>[] slots, int start, int count)
        {
            slots.AsSpan(start, count).Clear();
            if (t_slots is { } current && !ReferenceEquals(current, slots))
            {
                // A child grew the stack: the copy of these slots in the new array must not keep the nodes alive either.
                current.AsSpan(start, count).Clear();
            }

            t_top = start;
            if (start == 0 && t_slots is { Length: > MaxRetainedSlots })
            {
                t_slots = null;
            }
        }
    }

    /// <summary>
    /// Sorts an object's members by key. Small objects (the common state) use an insertion sort with the comparison
    /// inlined; Span.Sort would call it through a delegate, which costs more than the sort at ten keys. Large ones are
    /// checked in one pass first and sorted only when out of order.
    /// </summary>
    private static void SortByCodePoint(Span<KeyValuePair<string, JsonNode?>> entries)
    {
        if (entries.Length > 16)
        {
            // Large objects are often in order already (parsed from canonical text, or built in order): one pass proves it.
            for (var i = 1; i < entries.Length; i++)
            {
                if (EntryComparer.CompareKeys(entries[i - 1].Key, entries[i].Key) > 0)
                {
                    entries.Sort(default(EntryComparer));
                    return;
                }
            }

            return;
        }

        for (var i = 1; i < entries.Length; i++)
        {
            var entry = entries[i];
            var j = i - 1;
            while (j >= 0 && EntryComparer.CompareKeys(entries[j].Key, entry.Key) > 0)
            {
                entries[j + 1] = entries[j];
                j--;
            }

            entries[j + 1] = entry;
        }
    }

    private static void WriteValue(JsonValue value, CanonicalBuffer output, int depth, bool refuseNonFinite)
    {
        // Parsed values (JsonElement inside) first: no box. Then one generic virtual call (each TryGetValue<T> is one)
        // answers for the common CLR values; the rest take the long way.
        if (value.TryGetValue(out JsonElement element))
        {
            WriteElement(element, output, depth);
            return;
        }

        if (value.TryGetValue(out object? boxed))
        {
            switch (boxed)
            {
                case string text:
                    WriteString(text, output);
                    return;
                case double number:
                    WriteFloat(number, output, refuseNonFinite ? value : null);
                    return;
                case int number:
                    WriteInteger(number, output);
                    return;
                case long number:
                    WriteInteger(number, output);
                    return;
                case bool flag:
                    output.Write(flag ? "true"u8 : "false"u8);
                    return;
            }
        }

        switch (value.GetValueKind())
        {
            case JsonValueKind.String when value.TryGetValue(out string? s):
                WriteString(s, output);
                return;
            case JsonValueKind.True:
                output.Write("true"u8);
                return;
            case JsonValueKind.False:
                output.Write("false"u8);
                return;
            case JsonValueKind.Null:
                output.Write("null"u8);
                return;
            case JsonValueKind.Number:
                if (WriteClrNumber(value, output, refuseNonFinite))
                {
                    return;
                }

                break;
        }

        // Any other CLR value (DateTime, Guid, char, ...): take its own JSON form and canonicalise that.
        using var document = JsonDocument.Parse(value.ToJsonString());
        WriteElement(document.RootElement, output, depth);
    }

    private static bool WriteClrNumber(JsonValue value, CanonicalBuffer output, bool refuseNonFinite)
    {
        if (value.TryGetValue(out long l))
        {
            WriteInteger(l, output);
        }
        else if (value.TryGetValue(out int i))
        {
            WriteInteger(i, output);
        }
        else if (value.TryGetValue(out double d))
        {
            WriteFloat(d, output, refuseNonFinite ? value : null);
        }
        else if (value.TryGetValue(out ulong ul))
        {
            var span = output.GetSpan(24);
            ul.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
            output.Advance(written);
        }
        else if (value.TryGetValue(out float f))
        {
            WriteFloat(f, output, refuseNonFinite ? value : null);
        }
        else if (value.TryGetValue(out decimal m))
        {
            WriteFloat((double)m, output, null);
        }
        else if (value.TryGetValue(out short sh))
        {
            WriteInteger(sh, output);
        }
        else if (value.TryGetValue(out byte b))
        {
            WriteInteger(b, output);
        }
        else if (value.TryGetValue(out uint ui))
        {
            WriteInteger(ui, output);
        }
        else
        {
            return false;
        }

        return true;
    }

    private static void WriteElement(JsonElement element, CanonicalBuffer output, int depth)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
            case JsonValueKind.Array:
                // Parsed containers canonicalize straight from their raw text: no nodes are built.
                WriteRaw(JsonMarshal.GetRawUtf8Value(element), output, Math.Max(1, MaxDepth - depth));
                break;
            case JsonValueKind.String:
                WriteElementString(element, output);
                break;
            case JsonValueKind.Number:
                WriteRawNumber(JsonMarshal.GetRawUtf8Value(element), output);
                break;
            case JsonValueKind.True:
                output.Write("true"u8);
                break;
            case JsonValueKind.False:
                output.Write("false"u8);
                break;
            default:
                output.Write("null"u8);
                break;
        }
    }

    /// <summary>A JSON number as Python reads it: an integer literal stays an int (any size), anything else is a float.</summary>
    private static void WriteRawNumber(ReadOnlySpan<byte> raw, CanonicalBuffer output)
    {
        if (IsPythonFloatRepr(raw))
        {
            output.Write(raw);
            return;
        }

        if (raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0)
        {
            // Python's int("-0") is 0.
            if (raw.Length == 2 && raw[0] == (byte)'-' && raw[1] == (byte)'0')
            {
                raw = raw[1..];
            }

            output.Write(raw);
            return;
        }

        WriteFloat(double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture), output, null);
    }
    /// <summary>
    /// True when a JSON number literal is already what Python's <c>repr</c> prints for the float it denotes, so it can be
    /// copied instead of parsed and re-formatted: plain positional form, a non-empty fraction without trailing zeros,
    /// at most 15 significant digits, and not below 1e-4. A decimal of at most 15 significant digits is the only one of
    /// that length or shorter to round-trip to its double (15 = DBL_DIG), so it is also the shortest repr.
    /// </summary>
    private static bool IsPythonFloatRepr(ReadOnlySpan<byte> raw)
    {
        var i = raw.Length > 0 && raw[0] == (byte)'-' ? 1 : 0;
        var integerStart = i;
        while (i < raw.Length && char.IsAsciiDigit((char)raw[i]))
        {
            i++;
        }

        var integerDigits = i - integerStart;
        if (integerDigits == 0 || (integerDigits > 1 && raw[integerStart] == (byte)'0') || i >= raw.Length || raw[i] != (byte)'.')
        {
            return false;
        }

        var fractionStart = ++i;
        while (i < raw.Length && char.IsAsciiDigit((char)raw[i]))
        {
            i++;
        }

        if (i != raw.Length || i == fractionStart || raw[i - 1] == (byte)'0')
        {
            return false;
        }

        if (raw[integerStart] != (byte)'0')
        {
            return integerDigits + (i - fractionStart) <= 15;
        }

        var firstSignificant = fractionStart;
        while (raw[firstSignificant] == (byte)'0')
        {
            firstSignificant++;
        }

        // 0.0001 is still positional in Python; 0.00001 is 1e-05.
        return firstSignificant - fractionStart <= 3 && i - firstSignificant <= 15;
    }

    private static void WriteInteger(long value, CanonicalBuffer output)
    {
        var span = output.GetSpan(20);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        output.Advance(written);
    }

    /// <summary>Python's <c>float.__repr__</c>: shortest round-trip digits, scientific outside 1e-4 &lt;= |x| &lt; 1e16.</summary>
    /// <param name="value">The float.</param>
    /// <param name="output">Where to write.</param>
    /// <param name="refuseAt">When not null, NaN and infinities are refused (a state cannot hold them) naming this node's path.</param>
    private static void WriteFloat(double value, CanonicalBuffer output, JsonNode? refuseAt)
    {
        if (!double.IsFinite(value) && refuseAt is not null)
        {
            throw new ArgumentException(
                $"State data holds {(double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity")} at {refuseAt.GetPath()}, which JSON cannot represent.");
        }

        if (double.IsNaN(value))
        {
            output.Write("NaN"u8);
            return;
        }

        if (double.IsInfinity(value))
        {
            output.Write(value > 0 ? "Infinity"u8 : "-Infinity"u8);
            return;
        }

        if (Math.Abs(value) < 1e16 && value == Math.Floor(value))
        {
            // An integral float below 1e16 (readings like 30.0 or 1013.0): Python's repr is the integer and ".0" (no
            // shorter digits can round to it: neighbouring doubles are at most 2 apart there, other integers of fewer
            // digits at least that far), so no shortest-digits search is needed.
            if (value == 0)
            {
                output.Write(double.IsNegative(value) ? "-0.0"u8 : "0.0"u8);
                return;
            }

            WriteInteger((long)value, output);
            output.Write(".0"u8);
            return;
        }

        // Shortest round-trip text, e.g. "1.2345678901234568E+17", "1E-05", "0.0001", "21.5".
        Span<byte> text = stackalloc byte[32];
        value.TryFormat(text, out var length, "R", CultureInfo.InvariantCulture);
        text = text[..length];
        var point = text.IndexOf((byte)'.');
        var integerDigits = (point < 0 ? length : point) - (double.IsNegative(value) ? 1 : 0);
        if (integerDigits <= 16 && text.IndexOf((byte)'E') < 0)
        {
            // Positional with at most 16 integer digits (|x| < 1e16) and not below 1e-4 (.NET turns to E there): Python's
            // repr is positional too, with the same shortest digits. Only an integral value needs Python's ".0".
            var integral = point < 0;
            var positional = output.GetSpan(length + 2);
            text.CopyTo(positional);
            if (integral)
            {
                positional[length] = (byte)'.';
                positional[length + 1] = (byte)'0';
            }

            output.Advance(integral ? length + 2 : length);
            return;
        }

        Span<byte> digits = stackalloc byte[24];
        var digitCount = 0;
        var negative = false;
        var pointPosition = -1;
        var exponent = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == (byte)'-')
            {
                negative = true;
            }
            else if (c == (byte)'.')
            {
                pointPosition = digitCount;
            }
            else if (c is (byte)'E' or (byte)'e')
            {
                exponent = int.Parse(text[(i + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
                break;
            }
            else
            {
                digits[digitCount++] = c;
            }
        }

        if (pointPosition < 0)
        {
            pointPosition = digitCount;
        }

        // Normalise to 0.d1d2...dn x 10^decimalPoint with no leading or trailing zero digits.
        var start = 0;
        while (start < digitCount - 1 && digits[start] == (byte)'0')
        {
            start++;
            pointPosition--;
        }

        var end = digitCount;
        while (end > start + 1 && digits[end - 1] == (byte)'0')
        {
            end--;
        }

        var significant = digits[start..end];
        var decimalPoint = pointPosition + exponent;
        var isZero = significant.Length == 1 && significant[0] == (byte)'0';
        if (isZero)
        {
            decimalPoint = 1;
        }

        var span = output.GetSpan(32);
        var n = 0;
        if (negative)
        {
            span[n++] = (byte)'-';
        }

        if (decimalPoint > 16 || decimalPoint < -3)
        {
            span[n++] = significant[0];
            if (significant.Length > 1)
            {
                span[n++] = (byte)'.';
                significant[1..].CopyTo(span[n..]);
                n += significant.Length - 1;
            }

            var e = decimalPoint - 1;
            span[n++] = (byte)'e';
            span[n++] = e < 0 ? (byte)'-' : (byte)'+';
            e = Math.Abs(e);
            if (e < 10)
            {
                span[n++] = (byte)'0';
            }

            e.TryFormat(span[n..], out var ew, default, CultureInfo.InvariantCulture);
            n += ew;
        }
        else if (decimalPoint <= 0)
        {
            span[n++] = (byte)'0';
            span[n++] = (byte)'.';
            for (var z = 0; z < -decimalPoint; z++)
            {
                span[n++] = (byte)'0';
            }

            significant.CopyTo(span[n..]);
            n += significant.Length;
        }
        else
        {
            for (var d = 0; d < decimalPoint; d++)
            {
                span[n++] = d < significant.Length ? significant[d] : (byte)'0';
            }

            span[n++] = (byte)'.';
            if (significant.Length > decimalPoint)
            {
                significant[decimalPoint..].CopyTo(span[n..]);
                n += significant.Length - decimalPoint;
            }
            else
            {
                span[n++] = (byte)'0';
            }
        }

        output.Advance(n);
    }

    /// <summary>A parsed string: its raw UTF-8 is escaped straight when it holds no escapes (the common case).</summary>
    private static void WriteElementString(JsonElement element, CanonicalBuffer output)
    {
        var raw = JsonMarshal.GetRawUtf8Value(element);
        if (raw.Length >= 2 && raw[0] == (byte)'"' && raw.IndexOf((byte)'\\') < 0)
        {
            WriteUtf8String(raw[1..^1], output, verbatim: true);
            return;
        }

        WriteString(element.GetString()!, output);
    }

    private static void WriteString(string value, CanonicalBuffer output)
    {
        var chars = value.AsSpan();
        if (!chars.ContainsAnyExcept(PlainChars))
        {
            var plain = output.GetSpan(chars.Length + 2);
            plain[0] = (byte)'"';
            System.Text.Ascii.FromUtf16(chars, plain[1..], out var copied);
            plain[copied + 1] = (byte)'"';
            output.Advance(copied + 2);
            return;
        }

        // Worst case every UTF-16 unit becomes \uXXXX (6 bytes), plus quotes.
        var span = output.GetSpan(value.Length * 6 + 2);
        var n = 0;
        span[n++] = (byte)'"';
        foreach (var c in value)
        {
            n += c < 0x80 ? WriteAsciiChar((byte)c, span[n..]) : WriteEscape(c, span[n..]);
        }

        span[n++] = (byte)'"';
        output.Advance(n);
    }

    /// <summary>
    /// Writes a string given as unescaped UTF-8 in canonical form: printable ASCII as is, the rest escaped as UTF-16
    /// units. Invalid UTF-8 is refused (<see cref="ArgumentException"/>): no JSON string holds it.
    /// </summary>
    /// <param name="utf8">The string's bytes.</param>
    /// <param name="output">Where to write.</param>
    /// <param name="verbatim">
    /// The bytes are a JSON string's raw text with no escape sequence in it, so they hold no quote and no backslash
    /// (either would have ended the string or begun an escape): one scan for non-printable bytes suffices.
    /// </param>
    private static void WriteUtf8String(ReadOnlySpan<byte> utf8, CanonicalBuffer output, bool verbatim = false)
    {
        if (verbatim ? !utf8.ContainsAnyExceptInRange((byte)' ', (byte)'~') : !utf8.ContainsAnyExcept(PlainBytes))
        {
            var plain = output.GetSpan(utf8.Length + 2);
            plain[0] = (byte)'"';
            utf8.CopyTo(plain[1..]);
            plain[utf8.Length + 1] = (byte)'"';
            output.Advance(utf8.Length + 2);
            return;
        }

        // Worst case: an ASCII control byte becomes 6 bytes; a 4-byte sequence becomes a 12-byte surrogate pair.
        var span = output.GetSpan(utf8.Length * 6 + 2);
        var n = 0;
        span[n++] = (byte)'"';
        var i = 0;
        while (i < utf8.Length)
        {
            var b = utf8[i];
            if (b < 0x80)
            {
                n += WriteAsciiChar(b, span[n..]);
                i++;
                continue;
            }

            if (Rune.DecodeFromUtf8(utf8[i..], out var rune, out var consumed) != OperationStatus.Done)
            {
                throw new ArgumentException("A JSON string holds bytes that are not valid UTF-8.");
            }

            i += consumed;
            if (rune.IsBmp)
            {
                n += WriteEscape((char)rune.Value, span[n..]);
            }
            else
            {
                var v = rune.Value - 0x10000;
                n += WriteEscape((char)(0xD800 + (v >> 10)), span[n..]);
                n += WriteEscape((char)(0xDC00 + (v & 0x3FF)), span[n..]);
            }
        }

        span[n++] = (byte)'"';
        output.Advance(n);
    }

    private static int WriteAsciiChar(byte c, Span<byte> span)
    {
        switch (c)
        {
            case (byte)'"': span[0] = (byte)'\\'; span[1] = (byte)'"'; return 2;
            case (byte)'\\': span[0] = (byte)'\\'; span[1] = (byte)'\\'; return 2;
            case (byte)'\n': span[0] = (byte)'\\'; span[1] = (byte)'n'; return 2;
            case (byte)'\r': span[0] = (byte)'\\'; span[1] = (byte)'r'; return 2;
            case (byte)'\t': span[0] = (byte)'\\'; span[1] = (byte)'t'; return 2;
            case (byte)'\b': span[0] = (byte)'\\'; span[1] = (byte)'b'; return 2;
            case (byte)'\f': span[0] = (byte)'\\'; span[1] = (byte)'f'; return 2;
            default:
                if (c is >= (byte)' ' and <= (byte)'~')
                {
                    span[0] = c;
                    return 1;
                }

                return WriteEscape((char)c, span);
        }
    }

    private static int WriteEscape(char c, Span<byte> span)
    {
        span[0] = (byte)'\\';
        span[1] = (byte)'u';
        span[2] = HexLower(c >> 12);
        span[3] = HexLower((c >> 8) & 0xF);
        span[4] = HexLower((c >> 4) & 0xF);
        span[5] = HexLower(c & 0xF);
        return 6;
    }

    private static byte HexLower(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);

    /// <summary>Orders strings by Unicode code point, as Python sorts str keys (UTF-16 ordinal order differs above U+D7FF).</summary>
    private readonly struct EntryComparer : IComparer<KeyValuePair<string, JsonNode?>>
    {
        public int Compare(KeyValuePair<string, JsonNode?> x, KeyValuePair<string, JsonNode?> y) => CompareKeys(x.Key, y.Key);

        public static int CompareKeys(string x, string y)
        {
            // Most keys of an object differ in their first character: decided without the vectorized prefix scan.
            if (x.Length > 0 && y.Length > 0 && x[0] != y[0])
            {
                return Fix(x[0]) - Fix(y[0]);
            }

            var a = x.AsSpan();
            var b = y.AsSpan();
            var i = a.CommonPrefixLength(b);
            return i == a.Length || i == b.Length ? a.Length - b.Length : Fix(a[i]) - Fix(b[i]);
        }

        // Surrogates (astral code points) must sort after U+E000..U+FFFF: shift them up, the rest down.
        private static int Fix(char c) => c >= 0xD800 ? (c >= 0xE000 ? c - 0x800 : c + 0x2000) : c;
    }
}
