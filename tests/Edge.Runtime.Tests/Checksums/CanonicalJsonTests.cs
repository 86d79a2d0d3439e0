using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Edge.Runtime;

namespace Edge.Runtime.Tests.Checksums;

/// <summary>
/// Canonical form of values built from CLR objects (JsonValue.Create), which the vector file (parsed JSON only) does not
/// reach. Every expected string was produced by CPython's <c>json.dumps(x, sort_keys=True)</c>.
/// </summary>
public class CanonicalJsonTests
{
    private static string Canonical(JsonNode? node) => CanonicalJson.ToCanonicalString(node);

    /// <summary>
    /// Wide objects inside wide objects, in reverse key order: every level is sorted, a child grows the per-thread member
    /// stack while its parent is being written, and the node writer agrees with the text canonicalizer byte for byte.
    /// </summary>
    /// <summary>
    /// Integral floats below 1e16 are written as the integer and ".0" without a shortest-digits search. That is only
    /// right if the shortest round-trip digits of each (what .NET's "R" finds, and Python's repr) are the integer itself.
    /// </summary>
    [Test]
    public async Task Integral_floats_below_1e16_are_the_integer_and_point_zero()
    {
        var seed = Environment.TickCount;
        Console.WriteLine($"Integral_floats seed: {seed}");
        var random = new Random(seed);
        var values = new List<double> { 1, -1, 30, 1013, 1e15, -1e15, 9007199254740992, 9007199254740994, 9999999999999998, -9999999999999998 };
        for (var i = 0; i < 20_000; i++)
        {
            // Below 2^53 every integer is a double; above it, up to 1e16, every even one.
            var magnitude = i % 2 == 0 ? random.NextInt64(1, 1L << 53) : random.NextInt64(1L << 53, 10_000_000_000_000_000L);
            values.Add((double)(i % 4 < 2 ? magnitude : -magnitude));
        }

        var wrong = new List<string>();
        foreach (var value in values)
        {
            var canonical = CanonicalJson.ToCanonicalString(JsonValue.Create(value));
            var shortest = decimal.Parse(value.ToString("R", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture);
            if (canonical != ((long)value).ToString(System.Globalization.CultureInfo.InvariantCulture) + ".0" || shortest != (long)value)
            {
                wrong.Add($"{value:R} -> {canonical}");
            }
        }

        await Assert.That(wrong).IsEmpty();
        await Assert.That(CanonicalJson.ToCanonicalString(JsonValue.Create(-0.0))).IsEqualTo("-0.0");
        await Assert.That(CanonicalJson.ToCanonicalString(JsonValue.Create(1e16))).IsEqualTo("1e+16");
    }

    [Test]
    public async Task Wide_nested_objects_written_from_nodes_match_the_text_path()
    {
        var root = new JsonObject();
        for (var i = 99; i >= 0; i--)
        {
            var child = new JsonObject();
            for (var j = 79; j >= 0; j--)
            {
                child[$"k{j:D2}"] = j % 3 == 0 ? new JsonObject { ["z"] = j, ["a"] = new JsonArray(j, "x") } : JsonValue.Create(j + 0.25); // a fraction: the text of an integral double would read back as an int
            }

            root[$"o{i:D2}"] = child;
        }

        var fromNodes = CanonicalJson.ToCanonicalString(root);
        var fromText = Encoding.UTF8.GetString(SyncState.FromJson(Encoding.UTF8.GetBytes(root.ToJsonString()), 1).Canonical.Span);

        await Assert.That(fromNodes).IsEqualTo(fromText);
        await Assert.That(fromNodes).StartsWith("{\"o00\": {\"k00\": {\"a\": [0, \"x\"], \"z\": 0}, \"k01\": 1.25, ");
        // The same object again on the same thread: the stack was left empty and usable.
        await Assert.That(CanonicalJson.ToCanonicalString(root)).IsEqualTo(fromNodes);
    }

    [Test]
    public async Task Clr_integers_are_verbatim()
    {
        await Assert.That(Canonical(JsonValue.Create(1))).IsEqualTo("1");
        await Assert.That(Canonical(JsonValue.Create(-42))).IsEqualTo("-42");
        await Assert.That(Canonical(JsonValue.Create(long.MaxValue))).IsEqualTo("9223372036854775807");
        await Assert.That(Canonical(JsonValue.Create(long.MinValue))).IsEqualTo("-9223372036854775808");
        await Assert.That(Canonical(JsonValue.Create(ulong.MaxValue))).IsEqualTo("18446744073709551615");
        await Assert.That(Canonical(JsonValue.Create(uint.MaxValue))).IsEqualTo("4294967295");
        await Assert.That(Canonical(JsonValue.Create((short)-7))).IsEqualTo("-7");
        await Assert.That(Canonical(JsonValue.Create((byte)255))).IsEqualTo("255");
        await Assert.That(Canonical(JsonValue.Create((sbyte)-8))).IsEqualTo("-8");
        await Assert.That(Canonical(JsonValue.Create((ushort)65535))).IsEqualTo("65535");
    }

    [Test]
    [Arguments(1.0, "1.0")]
    [Arguments(100.0, "100.0")]
    [Arguments(0.1, "0.1")]
    [Arguments(123.456, "123.456")]
    [Arguments(1e16, "1e+16")]
    [Arguments(1e15, "1000000000000000.0")]
    [Arguments(9999999999999998.0, "9999999999999998.0")]
    [Arguments(1e22, "1e+22")]
    [Arguments(123456789012345678.0, "1.2345678901234568e+17")]
    [Arguments(0.0001, "0.0001")]
    [Arguments(1e-5, "1e-05")]
    [Arguments(2.5e-5, "2.5e-05")]
    [Arguments(1e-7, "1e-07")]
    [Arguments(5e-324, "5e-324")]
    [Arguments(1.7976931348623157e+308, "1.7976931348623157e+308")]
    [Arguments(-1.5e300, "-1.5e+300")]
    [Arguments(1.0 / 3.0, "0.3333333333333333")]
    [Arguments(0.0, "0.0")]
    [Arguments(-0.0, "-0.0")]
    [Arguments(-21.5, "-21.5")]
    [Arguments(-1e15, "-1000000000000000.0")]
    [Arguments(-1e16, "-1e+16")]
    [Arguments(-0.0001, "-0.0001")]
    [Arguments(double.NaN, "NaN")]
    [Arguments(double.PositiveInfinity, "Infinity")]
    [Arguments(double.NegativeInfinity, "-Infinity")]
    public async Task Clr_doubles_use_python_repr(double value, string expected)
    {
        await Assert.That(Canonical(JsonValue.Create(value))).IsEqualTo(expected);
    }

    [Test]
    public async Task Negative_zero_keeps_its_sign()
    {
        var negativeZero = BitConverter.Int64BitsToDouble(unchecked((long)0x8000_0000_0000_0000));

        await Assert.That(Canonical(JsonValue.Create(negativeZero))).IsEqualTo("-0.0");
        await Assert.That(Canonical(new JsonObject { ["z"] = negativeZero })).IsEqualTo("""{"z": -0.0}""");
    }

    [Test]
    public async Task Floats_and_decimals_are_floats()
    {
        await Assert.That(Canonical(JsonValue.Create(0.5f))).IsEqualTo("0.5");
        await Assert.That(Canonical(JsonValue.Create(1.5m))).IsEqualTo("1.5");
        await Assert.That(Canonical(JsonValue.Create(2m))).IsEqualTo("2.0");
    }

    [Test]
    public async Task Clr_and_parsed_values_of_the_same_json_agree()
    {
        var built = new JsonObject
        {
            ["i"] = 7,
            ["f"] = 7.5,
            ["s"] = "x",
            ["b"] = true,
            ["n"] = null,
            ["a"] = new JsonArray(1, 2.0, "three"),
        };
        var parsed = JsonNode.Parse("""{"i":7,"f":7.5,"s":"x","b":true,"n":null,"a":[1,2.0,"three"]}""");

        await Assert.That(Canonical(built)).IsEqualTo("""{"a": [1, 2.0, "three"], "b": true, "f": 7.5, "i": 7, "n": null, "s": "x"}""");
        await Assert.That(Canonical(parsed)).IsEqualTo(Canonical(built));
        await Assert.That(StateChecksum.Compute(parsed)).IsEqualTo(StateChecksum.Compute(built));
    }

    [Test]
    public async Task Strings_escape_everything_outside_printable_ascii()
    {
        var value = "é😀\u0001\u007f\"\\\n\r\t\b\f/\u2028\uffff";

        await Assert.That(Canonical(JsonValue.Create(value)))
            .IsEqualTo("\"\\u00e9\\ud83d\\ude00\\u0001\\u007f\\\"\\\\\\n\\r\\t\\b\\f/\\u2028\\uffff\"");
    }

    [Test]
    public async Task Printable_ascii_is_kept_as_is()
    {
        var ascii = new string(Enumerable.Range(' ', '~' - ' ' + 1).Select(c => (char)c).Where(c => c is not ('"' or '\\')).ToArray());

        await Assert.That(Canonical(JsonValue.Create(ascii))).IsEqualTo("\"" + ascii + "\"");
    }

    [Test]
    public async Task Every_control_character_is_escaped_lowercase()
    {
        var builder = new StringBuilder();
        for (var c = 0; c < 0x20; c++)
        {
            builder.Append((char)c);
        }

        var canonical = Canonical(JsonValue.Create(builder.ToString()));

        await Assert.That(canonical).IsEqualTo(
            "\"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f" +
            "\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"");
    }

    [Test]
    public async Task Keys_sort_by_code_point_not_utf16()
    {
        await Assert.That(Canonical(new JsonObject { ["\U0001F600"] = 2, ["\uffff"] = 1 }))
            .IsEqualTo("""{"\uffff": 1, "\ud83d\ude00": 2}""");
        await Assert.That(Canonical(new JsonObject { ["\ue000"] = 1, ["\U00010000"] = 2, ["\ud7ff"] = 3 }))
            .IsEqualTo("""{"\ud7ff": 3, "\ue000": 1, "\ud800\udc00": 2}""");
    }

    [Test]
    public async Task Keys_sort_ordinally_with_case_and_prefixes()
    {
        await Assert.That(Canonical(new JsonObject { ["b"] = 1, ["a"] = 2, ["B"] = 3, [""] = 0, ["ab"] = 4 }))
            .IsEqualTo("""{"": 0, "B": 3, "a": 2, "ab": 4, "b": 1}""");
    }

    [Test]
    public async Task Nested_structures_sort_at_every_level()
    {
        var node = JsonNode.Parse("""{"z":[{"b":1,"a":[true,false,null]}],"a":{}}""");

        await Assert.That(Canonical(node)).IsEqualTo("""{"a": {}, "z": [{"a": [true, false, null], "b": 1}]}""");
    }

    [Test]
    public async Task Roots_other_than_objects()
    {
        await Assert.That(Canonical(null)).IsEqualTo("null");
        await Assert.That(Canonical(new JsonArray())).IsEqualTo("[]");
        await Assert.That(Canonical(new JsonObject())).IsEqualTo("{}");
        await Assert.That(Canonical(new JsonArray(1, null, "a"))).IsEqualTo("""[1, null, "a"]""");
        await Assert.That(Canonical(JsonValue.Create(false))).IsEqualTo("false");
    }

    [Test]
    public async Task Other_clr_values_use_their_json_form()
    {
        await Assert.That(Canonical(JsonValue.Create(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc)))).IsEqualTo("\"2026-01-02T03:04:05Z\"");
        await Assert.That(Canonical(JsonValue.Create(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e")))).IsEqualTo("\"0f8fad5b-d9cb-469f-a165-70867728950e\"");
        await Assert.That(Canonical(JsonValue.Create('é'))).IsEqualTo("\"\\u00e9\"");
    }

    [Test]
    [Arguments("1E400", "Infinity")]
    [Arguments("-0", "0")]
    [Arguments("-0.0", "-0.0")]
    [Arguments("1.0e0", "1.0")]
    [Arguments("12345678901234567890123", "12345678901234567890123")]
    [Arguments("1E2", "100.0")]
    [Arguments("0.000001", "1e-06")]
    [Arguments("-1e-7", "-1e-07")]
    [Arguments("1.5E+300", "1.5e+300")]
    public async Task Parsed_numbers_follow_python(string json, string expected)
    {
        await Assert.That(Canonical(JsonNode.Parse(json))).IsEqualTo(expected);
        await Assert.That(Canonical(new JsonArray(JsonNode.Parse(json)))).IsEqualTo("[" + expected + "]");
    }

    [Test]
    public async Task Write_appends_utf8_to_the_buffer()
    {
        var buffer = new ArrayBufferWriter<byte>();
        buffer.Write("prefix:"u8);

        CanonicalJson.Write(new JsonObject { ["é"] = 1 }, buffer);

        await Assert.That(Encoding.UTF8.GetString(buffer.WrittenSpan)).IsEqualTo("""prefix:{"\u00e9": 1}""");
        await Assert.That(() => CanonicalJson.Write(null, null!)).Throws<ArgumentNullException>();
    }

    [Test]
    public async Task Too_deep_nesting_is_refused()
    {
        JsonNode node = new JsonArray();
        for (var i = 0; i < 300; i++)
        {
            node = new JsonArray(node);
        }

        await Assert.That(() => Canonical(node)).Throws<InvalidOperationException>();
    }

    [Test]
    public async Task Checksum_is_md5_of_the_canonical_utf8()
    {
        var data = new JsonObject { ["sensor"] = "温度", ["values"] = new JsonArray(1.5, 2, -0.25) };
        var expected = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(Canonical(data))));
        await Assert.That(StateChecksum.Compute(data)).IsEqualTo(expected);
        await Assert.That(SyncState.FromData(data, 1).Checksum).IsEqualTo(expected);
        await Assert.That(StateChecksum.Compute((JsonNode?)null)).IsEqualTo("37a6259cc0c1dae299a7866489dff0bd");
    }

    [Test]
    public async Task Large_states_hash_like_small_ones()
    {
        var data = new JsonObject();
        for (var i = 0; i < 5_000; i++)
        {
            data[$"key-{i:00000}"] = new JsonArray(i, i * 0.5, $"value \u00fc {i}");
        }

        var canonical = Canonical(data);
        var expected = Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(canonical)));

        await Assert.That(canonical.Length).IsGreaterThan(64 * 1024);
        await Assert.That(StateChecksum.Compute(data)).IsEqualTo(expected);
        await Assert.That(StateChecksum.Compute(new JsonObject { ["a"] = 1 })).IsEqualTo(StateChecksum.Compute(JsonNode.Parse("""{"a":1}""")));
    }

    [Test]
    public async Task Concurrent_checksums_agree()
    {
        var states = Enumerable.Range(0, 16).Select(i => new JsonObject { ["i"] = i, ["pad"] = new string('x', i * 500) }).ToArray();
        var expected = states.Select(s => StateChecksum.Compute(s)).ToArray();

        var mismatches = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            var bad = 0;
            for (var round = 0; round < 50; round++)
            {
                for (var i = 0; i < states.Length; i++)
                {
                    bad += StateChecksum.Compute(states[i]) == expected[i] ? 0 : 1;
                }
            }

            return bad;
        })));

        await Assert.That(mismatches.Sum()).IsEqualTo(0);
    }
}
