using System.Globalization;
using System.Text;
using Edge.Runtime;

namespace Edge.Runtime.Tests.Json;

/// <summary>
/// <see cref="JsonInput.TryValidate"/>: what it accepts, and for each refusal the exact English problem with its JSONPath.
/// Inputs are written as text where <c>%XX</c> stands for one raw byte (so invalid UTF-8 can be spelled out); JSON
/// escapes such as <c>\u0061</c> are literal.
/// </summary>
public class JsonInputTests
{
    private const string NotUtf8 = "holds bytes that are not valid UTF-8";
    private const string Unpaired = "holds an escape of an unpaired UTF-16 surrogate (e.g. \\ud800 without its pair)";

    /// <summary>UTF-8 of <paramref name="template"/> with every <c>%XX</c> replaced by the byte 0xXX.</summary>
    private static byte[] Raw(string template)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i] == '%' && i + 2 < template.Length)
            {
                bytes.Add(byte.Parse(template.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                i += 2;
            }
            else
            {
                var end = i;
                while (end < template.Length && template[end] != '%')
                {
                    end++;
                }

                bytes.AddRange(Encoding.UTF8.GetBytes(template[i..end]));
                i = end - 1;
            }
        }

        return [.. bytes];
    }

    private static string? Problem(string template, int maxDepth = JsonLimits.DefaultDepth) =>
        JsonInput.TryValidate(Raw(template), maxDepth, out var problem) ? null : problem;

    private static string Nested(char open, int levels, string innermost = "") =>
        open == '{'
            ? string.Concat(Enumerable.Repeat("{\"a\":", levels - 1)) + "{" + innermost + "}" + new string('}', levels - 1)
            : new string('[', levels) + innermost + new string(']', levels);

    [Test]
    [Arguments("{\"a\":{\"b\":1e400}}", "$.a.b")]
    [Arguments("[1, -1E+309]", "$[1]")]
    public async Task A_float_beyond_the_range_of_a_double_is_refused_with_its_path(string json, string path)
    {
        await Assert.That(Problem(json)).IsEqualTo($"The number at {path} is beyond the range of a double: it would be stored as Infinity, which JSON cannot represent.");
    }

    [Test]
    [Arguments("{\"big\":123456789012345678901234567890123456789012345678901234567890}")]
    [Arguments("{\"a\":1e308,\"b\":1e-400,\"c\":-2.5E10}")]
    public async Task Big_integers_and_floats_within_range_pass(string json)
    {
        await Assert.That(Problem(json)).IsNull();
    }

    [Test]
    public async Task The_byte_template_helper_spells_raw_bytes()
    {
        await Assert.That(Raw("\"%FFa%C3%A9\"")).IsEquivalentTo(new byte[] { 0x22, 0xFF, 0x61, 0xC3, 0xA9, 0x22 }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(Raw("é")).IsEquivalentTo(new byte[] { 0xC3, 0xA9 }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
    }

    [Test]
    [Arguments("{}")]
    [Arguments("[]")]
    [Arguments("  {  }  ")]
    [Arguments("[[], {}, [{}]]")]
    [Arguments("0")]
    [Arguments("-12.5e-3")]
    [Arguments("\"text\"")]
    [Arguments("\"\"")]
    [Arguments("true")]
    [Arguments("false")]
    [Arguments("null")]
    [Arguments("123456789012345678901234567890")]
    [Arguments("{\"a\":1,\"b\":[1,2,{\"c\":null}],\"d\":{\"e\":\"f\"}}")]
    public async Task Accepts_well_formed_values_of_every_kind(string json)
    {
        await Assert.That(Problem(json)).IsNull();
    }

    [Test]
    [Arguments("\"\\ud83d\\ude00\"")]                      // U+1F600 as an escaped surrogate pair
    [Arguments("\"%F0%9F%98%80\"")]                        // U+1F600 as raw 4-byte UTF-8
    [Arguments("\"x\\uD83D\\uDE00y\"")]                    // upper-case hex, pair in the middle
    [Arguments("\"\\u00e9 é %C3%A9 \\u20ac € %E2%82%AC\"")]  // 2- and 3-byte sequences raw and escaped
    [Arguments("{\"\\ud83d\\ude00\":\"%F0%9F%98%80\"}")]   // pair escaped in a key
    [Arguments("{\"\\u0061\":1,\"b\\n\":2,\"\\\"\":3}")]   // escaped keys, all distinct
    [Arguments("\"\\\\ud800\"")]                           // an escaped backslash, not a surrogate escape
    [Arguments("\"\\u0000\\t\\/\\b\"")]
    public async Task Accepts_proper_unicode_raw_and_escaped(string json)
    {
        await Assert.That(Problem(json)).IsNull();
    }

    // ---- invalid UTF-8 ----

    [Test]
    [Arguments("%FF", "a lone 0xFF")]
    [Arguments("%C0%AF", "an overlong '/'")]
    [Arguments("%E0%80%AF", "a 3-byte overlong '/'")]
    [Arguments("%ED%A0%80", "a UTF-8-encoded surrogate")]
    [Arguments("%E2%82", "a truncated 3-byte sequence")]
    [Arguments("%F0%9F%98", "a truncated 4-byte sequence")]
    [Arguments("%80", "a lone continuation byte")]
    [Arguments("ok%F4%90%80%80", "a code point above U+10FFFF")]
    public async Task Refuses_invalid_utf8_in_a_value_with_its_path(string bytes, string what)
    {
        _ = what;
        await Assert.That(Problem("{\"a\":\"" + bytes + "\"}")).IsEqualTo($"The string at $.a {NotUtf8}.");
        await Assert.That(Problem("{\"list\":[1,\"x\",\"" + bytes + "\"]}")).IsEqualTo($"The string at $.list[2] {NotUtf8}.");
        await Assert.That(Problem("\"" + bytes + "\"")).IsEqualTo($"The string at $ {NotUtf8}.");
    }

    [Test]
    [Arguments("%FF")]
    [Arguments("%C0%AF")]
    [Arguments("%E2%82")]
    public async Task Refuses_invalid_utf8_in_a_key_naming_the_object(string bytes)
    {
        await Assert.That(Problem("{\"" + bytes + "\":1}")).IsEqualTo($"A key of the object at $ {NotUtf8}.");
        await Assert.That(Problem("{\"outer\":{\"ok\":1,\"k" + bytes + "\":1}}")).IsEqualTo($"A key of the object at $.outer {NotUtf8}.");
        await Assert.That(Problem("[0,{\"" + bytes + "\":1}]")).IsEqualTo($"A key of the object at $[1] {NotUtf8}.");
    }

    [Test]
    [Arguments("%FF")]
    [Arguments("%C0%AF")]
    [Arguments("%E2%82")]
    public async Task Refuses_invalid_utf8_inside_an_escaped_string(string bytes)
    {
        // The string holds escapes too, so it takes the unescaping path rather than the raw check.
        await Assert.That(Problem("{\"a\":\"\\u0041" + bytes + "\\n\"}")).IsEqualTo($"The string at $.a {NotUtf8}.");
        await Assert.That(Problem("{\"a\":\"" + bytes + "\\ud83d\\ude00\"}")).IsEqualTo($"The string at $.a {NotUtf8}.");
        await Assert.That(Problem("{\"\\u0041" + bytes + "\":1}")).IsEqualTo($"A key of the object at $ {NotUtf8}.");
    }

    // ---- unpaired surrogate escapes ----

    [Test]
    [Arguments("\\ud800", "lone high")]
    [Arguments("\\uDBFF", "lone high, upper case")]
    [Arguments("\\udc00", "lone low")]
    [Arguments("\\udfff", "lone low, last")]
    [Arguments("\\ude00\\ud83d", "reversed pair")]
    [Arguments("x\\ud800y", "high followed by a plain character")]
    [Arguments("\\ud800\\u0041", "high followed by an escaped non-surrogate")]
    [Arguments("\\ud800\\ud800", "two highs")]
    [Arguments("\\ud83d\\ude00\\ud800", "a good pair then a lone high")]
    [Arguments("\\ud800%F0%9F%98%80", "high followed by raw 4-byte UTF-8")]
    public async Task Refuses_escapes_of_unpaired_surrogates_in_values_and_keys(string escaped, string what)
    {
        _ = what;
        await Assert.That(Problem("{\"s\":\"" + escaped + "\"}")).IsEqualTo($"The string at $.s {Unpaired}.");
        await Assert.That(Problem("{\"x\":[{\"s\":[\"ok\",\"" + escaped + "\"]}]}")).IsEqualTo($"The string at $.x[0].s[1] {Unpaired}.");
        await Assert.That(Problem("{\"m\":{\"" + escaped + "\":true}}")).IsEqualTo($"A key of the object at $.m {Unpaired}.");
    }

    // ---- duplicate keys ----

    [Test]
    public async Task Refuses_a_duplicate_key_at_the_top_level()
    {
        await Assert.That(Problem("{\"a\":1,\"b\":2,\"a\":3}")).IsEqualTo("Duplicate key 'a' at $.a: each key may appear once in an object.");
    }

    [Test]
    public async Task Refuses_a_duplicate_key_nested_in_objects_and_arrays()
    {
        await Assert.That(Problem("{\"x\":{\"y\":{\"k\":1,\"k\":{}}}}")).IsEqualTo("Duplicate key 'k' at $.x.y.k: each key may appear once in an object.");
        await Assert.That(Problem("{\"list\":[{\"k\":1},{\"j\":1,\"k\":2,\"k\":3}]}")).IsEqualTo("Duplicate key 'k' at $.list[1].k: each key may appear once in an object.");
    }

    [Test]
    public async Task Refuses_a_duplicate_key_spelled_differently_through_escapes()
    {
        await Assert.That(Problem("{\"a\":1,\"\\u0061\":2}")).IsEqualTo("Duplicate key 'a' at $.a: each key may appear once in an object.");
        await Assert.That(Problem("{\"\\u0061\":1,\"a\":2}")).IsEqualTo("Duplicate key 'a' at $.a: each key may appear once in an object.");
        await Assert.That(Problem("{\"é\":1,\"\\u00e9\":2}")).IsEqualTo("Duplicate key 'é' at $['é']: each key may appear once in an object.");
        await Assert.That(Problem("{\"%F0%9F%98%80\":1,\"\\ud83d\\ude00\":2}")).IsEqualTo("Duplicate key '😀' at $['😀']: each key may appear once in an object.");
    }

    [Test]
    public async Task Keys_differing_only_in_case_or_normalization_are_distinct()
    {
        // Ordinal comparison: "A" and "a", and precomposed é vs e + combining acute, are different keys.
        await Assert.That(Problem("{\"a\":1,\"A\":2}")).IsNull();
        await Assert.That(Problem("{\"\\u00e9\":1,\"e\\u0301\":2}")).IsNull();
    }

    [Test]
    public async Task The_same_key_in_sibling_and_nested_objects_is_fine()
    {
        await Assert.That(Problem("{\"x\":{\"k\":1},\"y\":{\"k\":1},\"k\":{\"k\":{\"k\":1}}}")).IsNull();
        await Assert.That(Problem("[{\"k\":1},{\"k\":2},[{\"k\":3}]]")).IsNull();
        // An object that closes forgets its keys even when the next object reuses its nesting level.
        await Assert.That(Problem("[{\"a\":1,\"b\":2},{\"b\":3,\"a\":4}]")).IsNull();
    }

    [Test]
    public async Task A_path_quotes_keys_that_are_not_plain_names()
    {
        await Assert.That(Problem("{\"a b\":{\"it's\":{\"1x\":[\"%FF\"]}}}")).IsEqualTo($"The string at $['a b']['it\\'s']['1x'][0] {NotUtf8}.");
        await Assert.That(Problem("{\"snake_case-1\":\"%FF\"}")).IsEqualTo($"The string at $.snake_case-1 {NotUtf8}.");
    }

    // ---- depth ----

    [Test]
    [Arguments(1)]
    [Arguments(5)]
    [Arguments(JsonLimits.DefaultDepth)]
    [Arguments(200)]
    [Arguments(JsonLimits.MaxDepth)]
    public async Task Objects_nested_to_the_limit_pass_and_one_more_level_is_refused(int limit)
    {
        await Assert.That(Problem(Nested('{', limit - 1 == 0 ? 1 : limit - 1), limit)).IsNull();
        await Assert.That(Problem(Nested('{', limit), limit)).IsNull();
        await Assert.That(Problem(Nested('{', limit, "\"leaf\":[]"), limit)).IsEqualTo(
            $"JSON nested deeper than the limit of {limit} levels at ${string.Concat(Enumerable.Repeat(".a", limit - 1))}.leaf.");
        await Assert.That(Problem(Nested('{', limit + 1), limit)).IsEqualTo(
            $"JSON nested deeper than the limit of {limit} levels at ${string.Concat(Enumerable.Repeat(".a", limit))}.");
    }

    [Test]
    [Arguments(1)]
    [Arguments(5)]
    [Arguments(JsonLimits.DefaultDepth)]
    [Arguments(JsonLimits.MaxDepth)]
    public async Task Arrays_nested_to_the_limit_pass_and_one_more_level_is_refused(int limit)
    {
        await Assert.That(Problem(Nested('[', Math.Max(1, limit - 1), "1"), limit)).IsNull();
        await Assert.That(Problem(Nested('[', limit, "1,2"), limit)).IsNull();
        await Assert.That(Problem(Nested('[', limit + 1), limit)).IsEqualTo(
            $"JSON nested deeper than the limit of {limit} levels at ${string.Concat(Enumerable.Repeat("[0]", limit))}.");
    }

    [Test]
    public async Task Depth_counts_objects_and_arrays_alike_and_scalars_add_nothing()
    {
        // 3 levels: object, array, object; the scalar inside adds no level.
        await Assert.That(Problem("{\"a\":[{\"b\":1}]}", 3)).IsNull();
        await Assert.That(Problem("{\"a\":[{\"b\":[]}]}", 3)).IsEqualTo("JSON nested deeper than the limit of 3 levels at $.a[0].b.");
        await Assert.That(Problem("[1,2,[3,{\"x\":{}}]]", 3)).IsEqualTo("JSON nested deeper than the limit of 3 levels at $[2][1].x.");
        await Assert.That(Problem("\"scalar\"", 1)).IsNull();
    }

    [Test]
    public async Task A_limit_outside_one_to_serializer_depth_is_a_caller_error()
    {
        await Assert.That(() => JsonInput.TryValidate("{}"u8, 0, out _)).Throws<ArgumentOutOfRangeException>();
        await Assert.That(() => JsonInput.TryValidate("{}"u8, JsonLimits.SerializerDepth + 1, out _)).Throws<ArgumentOutOfRangeException>();
    }

    [Test]
    public async Task An_envelope_around_data_at_the_max_depth_validates_with_the_envelope_levels_added()
    {
        // An MQTT desired state wraps data nested JsonLimits.MaxDepth levels in one more object.
        var envelope = "{\"data\":" + Nested('{', JsonLimits.MaxDepth) + "}";
        await Assert.That(Problem(envelope, JsonLimits.MaxDepth + 1)).IsNull();
        await Assert.That(Problem(envelope, JsonLimits.MaxDepth)).StartsWith($"JSON nested deeper than the limit of {JsonLimits.MaxDepth} levels at $.data.a.a");
        await Assert.That(Problem(Nested('[', JsonLimits.SerializerDepth, "1"), JsonLimits.SerializerDepth)).IsNull();
    }

    // ---- malformed ----

    [Test]
    public async Task Refuses_empty_input()
    {
        await Assert.That(Problem("")).IsEqualTo("The body is empty: expected a JSON value.");
    }

    [Test]
    [Arguments(" ")]
    [Arguments("\n\t ")]
    public async Task Refuses_whitespace_only_input_as_malformed(string json)
    {
        await Assert.That(Problem(json)).StartsWith("Malformed JSON near $: ");
    }

    // For syntax errors the path is that of the last token the reader completed ("near"); the reader's own message
    // that follows gives the byte position. A number at the very end is incomplete, so "[1,2" stops after element 0.
    [Test]
    [Arguments("{\"a\":[1,2", "$.a[0]")]
    [Arguments("{\"a\":[1,2,", "$.a[1]")]
    [Arguments("{\"a\":", "$.a")]
    [Arguments("{\"a\":\"unterminated", "$.a")]
    [Arguments("{\"a\":\"%E2%82", "$.a")]
    [Arguments("[", "$")]
    [Arguments("{", "$")]
    [Arguments("tru", "$")]
    [Arguments("\"\\ud8", "$")]
    public async Task Refuses_truncated_input_naming_where_it_stopped(string json, string path)
    {
        await Assert.That(Problem(json)).StartsWith($"Malformed JSON near {path}: ");
    }

    [Test]
    [Arguments("{\"a\":1} x")]
    [Arguments("{\"a\":1}}")]
    [Arguments("[1] [2]")]
    [Arguments("1 2")]
    [Arguments("{}%FF")]
    public async Task Refuses_trailing_garbage_after_the_value(string json)
    {
        await Assert.That(Problem(json)).StartsWith("Malformed JSON near $: ");
    }

    [Test]
    [Arguments("{\"a\":1,}", "$.a")]
    [Arguments("[1,]", "$[0]")]
    [Arguments("{'a':1}", "$")]
    [Arguments("{\"a\":NaN}", "$.a")]
    [Arguments("{\"a\":01}", "$.a")]
    [Arguments("// c\n{}", "$")]
    [Arguments("{\"a\" 1}", "$")]   // the reader checks the ':' with the property name, so no key is read yet
    [Arguments("%FF", "$")]
    [Arguments("{\"a\":\"tab\there\"}", "$.a")]
    [Arguments("{\"a\":\"\\x41\"}", "$.a")]
    [Arguments("%EF%BB%BF{}", "$")]
    public async Task Refuses_syntax_errors(string json, string path)
    {
        await Assert.That(Problem(json)).StartsWith($"Malformed JSON near {path}: ");
    }

    [Test]
    public async Task The_first_problem_in_document_order_is_reported()
    {
        await Assert.That(Problem("{\"a\":\"\\ud800\",\"b\":\"%FF\",\"a\":1}")).IsEqualTo($"The string at $.a {Unpaired}.");
        await Assert.That(Problem("{\"a\":1,\"a\":\"%FF\"}")).IsEqualTo("Duplicate key 'a' at $.a: each key may appear once in an object.");
    }

    [Test]
    public async Task Long_strings_and_many_keys_are_checked_past_any_buffer_size()
    {
        var longValue = new string('x', 10_000);
        await Assert.That(Problem("{\"a\":\"" + longValue + "\\u0041\"}")).IsNull();
        await Assert.That(Problem("{\"a\":\"" + longValue + "\\ud800\"}")).IsEqualTo($"The string at $.a {Unpaired}.");
        await Assert.That(Problem("{\"a\":\"" + longValue + "\\n%FF\"}")).IsEqualTo($"The string at $.a {NotUtf8}.");

        var keys = string.Join(",", Enumerable.Range(0, 2000).Select(i => $"\"k{i}\":{i}"));
        await Assert.That(Problem("{" + keys + "}")).IsNull();
        await Assert.That(Problem("{" + keys + ",\"k1999\":0}")).IsEqualTo("Duplicate key 'k1999' at $.k1999: each key may appear once in an object.");
    }

    [Test]
    [Arguments(1)]
    [Arguments(2)]
    [Arguments(3)]
    public async Task Large_objects_with_escaped_keys_find_exactly_the_duplicate(int seed)
    {
        Console.WriteLine($"seed {seed}");
        var random = new Random(seed);
        var keys = Enumerable.Range(0, 5000).Select(i => $"k{i}-\u00e9{random.Next()}").Distinct().ToList();
        string Spell(string key, bool escape) => escape ? string.Concat(key.Select(c => $"\\u{(int)c:x4}")) : key.Replace("\\u00e9", "é", StringComparison.Ordinal);
        string Body(IEnumerable<string> members) => "{" + string.Join(",", members) + "}";
        var members = keys.Select((k, i) => $"\"{Spell(k, i % 7 == 0)}\":{{\"k\":[{i}]}}").ToList();
        await Assert.That(JsonInput.TryValidate(Encoding.UTF8.GetBytes(Body(members)), JsonLimits.DefaultDepth, out var none)).IsTrue().Because(none ?? "");

        var twin = random.Next(keys.Count);
        members.Insert(random.Next(members.Count + 1), $"\"{Spell(keys[twin], twin % 7 != 0)}\":0");
        await Assert.That(JsonInput.TryValidate(Encoding.UTF8.GetBytes(Body(members)), JsonLimits.DefaultDepth, out var problem)).IsFalse();
        await Assert.That(problem!).StartsWith($"Duplicate key '{keys[twin].Replace("\\u00e9", "é", StringComparison.Ordinal)}'");
    }
}
