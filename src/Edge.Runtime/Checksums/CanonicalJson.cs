using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
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
public static class CanonicalJson
{
    /// <summary>Appends the canonical UTF-8 form of <paramref name="node"/> to <paramref name="output"/>.</summary>
    public static void Write(JsonNode? node, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        WriteNode(node, output, depth: 0);
    }

    /// <summary>Returns the canonical form as a string (for diagnostics and tests; hashing uses <see cref="Write"/>).</summary>
    public static string ToCanonicalString(JsonNode? node)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(node, buffer);
        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    // Every layer shares one limit: data accepted anywhere (up to JsonLimits.MaxDepth, inside its envelopes) can be written.
    private const int MaxDepth = JsonLimits.SerializerDepth;

    private static void WriteNode(JsonNode? node, IBufferWriter<byte> output, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidOperationException($"State data is nested deeper than {MaxDepth} levels.");
        }

        switch (node)
        {
            case null:
                WriteAscii(output, "null");
                break;
            case JsonObject obj:
                WriteObject(obj, output, depth);
                break;
            case JsonArray array:
                WriteByte(output, (byte)'[');
                for (var i = 0; i < array.Count; i++)
                {
                    if (i > 0)
                    {
                        WriteAscii(output, ", ");
                    }

                    WriteNode(array[i], output, depth + 1);
                }

                WriteByte(output, (byte)']');
                break;
            case JsonValue value:
                WriteValue(value, output, depth);
                break;
            default:
                throw new InvalidOperationException($"Unsupported JSON node {node.GetType().Name}.");
        }
    }

    private static void WriteObject(JsonObject obj, IBufferWriter<byte> output, int depth)
    {
        var count = obj.Count;
        if (count == 0)
        {
            WriteAscii(output, "{}");
            return;
        }

        var entries = ArrayPool<KeyValuePair<string, JsonNode?>>.Shared.Rent(count);
        try
        {
            var n = 0;
            foreach (var entry in obj)
            {
                entries[n++] = entry;
            }

            var span = entries.AsSpan(0, n);
            span.Sort(static (a, b) => CodePointComparer.Instance.Compare(a.Key, b.Key));

            WriteByte(output, (byte)'{');
            for (var i = 0; i < span.Length; i++)
            {
                if (i > 0)
                {
                    WriteAscii(output, ", ");
                }

                WriteString(span[i].Key, output);
                WriteAscii(output, ": ");
                WriteNode(span[i].Value, output, depth + 1);
            }

            WriteByte(output, (byte)'}');
        }
        finally
        {
            entries.AsSpan(0, count).Clear();
            ArrayPool<KeyValuePair<string, JsonNode?>>.Shared.Return(entries);
        }
    }

    private static void WriteValue(JsonValue value, IBufferWriter<byte> output, int depth)
    {
        if (value.TryGetValue(out JsonElement element))
        {
            WriteElement(element, output, depth);
            return;
        }

        switch (value.GetValueKind())
        {
            case JsonValueKind.String when value.TryGetValue(out string? s):
                WriteString(s, output);
                return;
            case JsonValueKind.True:
                WriteAscii(output, "true");
                return;
            case JsonValueKind.False:
                WriteAscii(output, "false");
                return;
            case JsonValueKind.Null:
                WriteAscii(output, "null");
                return;
            case JsonValueKind.Number:
                if (WriteClrNumber(value, output))
                {
                    return;
                }

                break;
        }

        // Any other CLR value (DateTime, Guid, char, ...): take its own JSON form and canonicalise that.
        using var document = JsonDocument.Parse(value.ToJsonString());
        WriteElement(document.RootElement, output, depth);
    }

    private static bool WriteClrNumber(JsonValue value, IBufferWriter<byte> output)
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
            WriteFloat(d, output);
        }
        else if (value.TryGetValue(out ulong ul))
        {
            var span = output.GetSpan(24);
            ul.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
            output.Advance(written);
        }
        else if (value.TryGetValue(out float f))
        {
            WriteFloat(f, output);
        }
        else if (value.TryGetValue(out decimal m))
        {
            WriteFloat((double)m, output);
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

    private static void WriteElement(JsonElement element, IBufferWriter<byte> output, int depth)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                WriteObject(JsonObject.Create(element)!, output, depth);
                break;
            case JsonValueKind.Array:
                var first = true;
                WriteByte(output, (byte)'[');
                foreach (var item in element.EnumerateArray())
                {
                    if (!first)
                    {
                        WriteAscii(output, ", ");
                    }

                    first = false;
                    WriteElement(item, output, depth + 1);
                }

                WriteByte(output, (byte)']');
                break;
            case JsonValueKind.String:
                WriteElementString(element, output);
                break;
            case JsonValueKind.Number:
                WriteRawNumber(JsonMarshal.GetRawUtf8Value(element), output);
                break;
            case JsonValueKind.True:
                WriteAscii(output, "true");
                break;
            case JsonValueKind.False:
                WriteAscii(output, "false");
                break;
            default:
                WriteAscii(output, "null");
                break;
        }
    }

    /// <summary>A JSON number as Python reads it: an integer literal stays an int (any size), anything else is a float.</summary>
    private static void WriteRawNumber(ReadOnlySpan<byte> raw, IBufferWriter<byte> output)
    {
        if (IsPythonFloatRepr(raw))
        {
            raw.CopyTo(output.GetSpan(raw.Length));
            output.Advance(raw.Length);
            return;
        }

        if (raw.IndexOfAny((byte)'.', (byte)'e', (byte)'E') < 0)
        {
            // Python's int("-0") is 0.
            if (raw.Length == 2 && raw[0] == (byte)'-' && raw[1] == (byte)'0')
            {
                raw = raw[1..];
            }

            raw.CopyTo(output.GetSpan(raw.Length));
            output.Advance(raw.Length);
            return;
        }

        WriteFloat(double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture), output);
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

    private static void WriteInteger(long value, IBufferWriter<byte> output)
    {
        var span = output.GetSpan(20);
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        output.Advance(written);
    }

    /// <summary>Python's <c>float.__repr__</c>: shortest round-trip digits, scientific outside 1e-4 &lt;= |x| &lt; 1e16.</summary>
    internal static void WriteFloat(double value, IBufferWriter<byte> output)
    {
        if (double.IsNaN(value))
        {
            WriteAscii(output, "NaN");
            return;
        }

        if (double.IsInfinity(value))
        {
            WriteAscii(output, value > 0 ? "Infinity" : "-Infinity");
            return;
        }

        // "E16"-free shortest round-trip text, e.g. "1.2345678901234568E+17", "1E-05", "-0", "0.0001".
        Span<byte> text = stackalloc byte[32];
        value.TryFormat(text, out var length, "R", CultureInfo.InvariantCulture);
        text = text[..length];

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

    /// <summary>A parsed string: its raw UTF-8 is already canonical when it is printable ASCII with no escapes.</summary>
    private static void WriteElementString(JsonElement element, IBufferWriter<byte> output)
    {
        var raw = JsonMarshal.GetRawUtf8Value(element);
        if (raw.Length >= 2 && raw[0] == (byte)'"' && IsPlainAscii(raw[1..^1]))
        {
            raw.CopyTo(output.GetSpan(raw.Length));
            output.Advance(raw.Length);
            return;
        }

        WriteString(element.GetString()!, output);
    }

    // Printable ASCII needs no escape except '"' and '\' (a raw JSON string cannot hold a bare '"').
    private static bool IsPlainAscii(ReadOnlySpan<byte> utf8) =>
        utf8.IndexOfAnyExceptInRange((byte)' ', (byte)'~') < 0 && utf8.IndexOf((byte)'\\') < 0;

    private static void WriteString(string value, IBufferWriter<byte> output)
    {
        var chars = value.AsSpan();
        if (chars.IndexOfAnyExceptInRange(' ', '~') < 0 && chars.IndexOfAny('"', '\\') < 0)
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
            switch (c)
            {
                case '"': span[n++] = (byte)'\\'; span[n++] = (byte)'"'; break;
                case '\\': span[n++] = (byte)'\\'; span[n++] = (byte)'\\'; break;
                case '\n': span[n++] = (byte)'\\'; span[n++] = (byte)'n'; break;
                case '\r': span[n++] = (byte)'\\'; span[n++] = (byte)'r'; break;
                case '\t': span[n++] = (byte)'\\'; span[n++] = (byte)'t'; break;
                case '\b': span[n++] = (byte)'\\'; span[n++] = (byte)'b'; break;
                case '\f': span[n++] = (byte)'\\'; span[n++] = (byte)'f'; break;
                default:
                    if (c is >= ' ' and <= '~')
                    {
                        span[n++] = (byte)c;
                    }
                    else
                    {
                        span[n++] = (byte)'\\';
                        span[n++] = (byte)'u';
                        span[n++] = HexLower(c >> 12);
                        span[n++] = HexLower((c >> 8) & 0xF);
                        span[n++] = HexLower((c >> 4) & 0xF);
                        span[n++] = HexLower(c & 0xF);
                    }

                    break;
            }
        }

        span[n++] = (byte)'"';
        output.Advance(n);
    }

    private static byte HexLower(int nibble) => (byte)(nibble < 10 ? '0' + nibble : 'a' + nibble - 10);

    private static void WriteByte(IBufferWriter<byte> output, byte b)
    {
        output.GetSpan(1)[0] = b;
        output.Advance(1);
    }

    private static void WriteAscii(IBufferWriter<byte> output, string ascii)
    {
        var span = output.GetSpan(ascii.Length);
        for (var i = 0; i < ascii.Length; i++)
        {
            span[i] = (byte)ascii[i];
        }

        output.Advance(ascii.Length);
    }

    /// <summary>Orders strings by Unicode code point, as Python sorts str keys (UTF-16 ordinal order differs above U+D7FF).</summary>
    private sealed class CodePointComparer : IComparer<string>
    {
        public static readonly CodePointComparer Instance = new();

        public int Compare(string? x, string? y)
        {
            var a = x.AsSpan();
            var b = y.AsSpan();
            var length = Math.Min(a.Length, b.Length);
            for (var i = 0; i < length; i++)
            {
                if (a[i] != b[i])
                {
                    return Fix(a[i]) - Fix(b[i]);
                }
            }

            return a.Length - b.Length;
        }

        // Surrogates (astral code points) must sort after U+E000..U+FFFF: shift them up, the rest down.
        private static int Fix(char c) => c >= 0xD800 ? (c >= 0xE000 ? c - 0x800 : c + 0x2000) : c;
    }
}
