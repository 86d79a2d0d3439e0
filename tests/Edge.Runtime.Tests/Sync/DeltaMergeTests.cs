using System.Text;
using System.Text.Json.Nodes;
using Edge.Runtime;

namespace Edge.Runtime.Tests.Sync;

/// <summary>A delta merge assembles the merged bytes from kept per-key segments; it must equal a full canonicalization.</summary>
public class DeltaMergeTests
{
    // Keys that sort differently by code point and by UTF-16 (astral vs U+E000..U+FFFF), escapes, prefixes, non-ASCII.
    private static readonly string[] Keys =
    [
        "a", "b", "ab", "a\u0000", "A", "z", "é", "\u00ff", "\ufb01", "\U0001F600", "\U0001F600x", "\ue000", "quote\"", "back\\slash",
        "tab\t", "", " ", "~", "key-10", "key-9", "\u007f", "日本",
    ];

    private static JsonNode? RandomValue(Random random, int depth) => random.Next(depth > 2 ? 6 : 8) switch
    {
        0 => JsonValue.Create(random.Next(-1000, 1000)),
        1 => JsonValue.Create(Math.Round(random.NextDouble() * 100, random.Next(0, 4))),
        2 => JsonValue.Create(Keys[random.Next(Keys.Length)] + random.Next(10)),
        3 => JsonValue.Create(random.Next(2) == 0),
        4 => null,
        5 => JsonNode.Parse(random.Next(3) switch { 0 => "1.0", 1 => "12345678901234567890", _ => "\"\\u00e9\"" }),
        6 => new JsonArray(RandomValue(random, depth + 1), RandomValue(random, depth + 1)),
        _ => RandomObject(random, depth + 1, random.Next(0, 4)),
    };

    private static JsonObject RandomObject(Random random, int depth, int keys)
    {
        var obj = new JsonObject();
        for (var i = 0; i < keys; i++)
        {
            obj[Keys[random.Next(Keys.Length)]] = RandomValue(random, depth);
        }

        return obj;
    }

    [Test]
    public async Task Random_delta_sequences_equal_a_full_canonicalization_of_the_merged_object()
    {
        var seed = Environment.TickCount;
        Console.WriteLine($"DeltaMergeTests seed {seed}");
        var random = new Random(seed);
        for (var run = 0; run < 40; run++)
        {
            var sync = new EdgeSynchronizer(maxPending: 10);
            var expected = new JsonObject();
            for (var step = 0; step < 25; step++)
            {
                var change = RandomObject(random, 0, random.Next(0, 5));
                var full = random.Next(8) == 0;
                SyncState state;
                var entry = random.Next(3);
                var text = CanonicalJson.ToCanonicalString(change);
                if (entry == 0)
                {
                    state = sync.UpdateLocal(change, isDelta: !full);
                }
                else if (entry == 1)
                {
                    state = sync.UpdateLocal(change.Element(), isDelta: !full);
                }
                else
                {
                    state = sync.UpdateLocalJson(Encoding.UTF8.GetBytes(text), isDelta: !full);
                }

                if (full)
                {
                    expected = change.DeepClone().AsObject();
                }
                else
                {
                    foreach (var (key, value) in change)
                    {
                        expected[key] = value?.DeepClone();
                    }
                }

                var want = CanonicalJson.ToCanonicalString(expected);
                var got = Encoding.UTF8.GetString(state.Canonical.Span);
                if (got != want || state.Checksum != StateChecksum.Compute(expected) || !state.Verify())
                {
                    await Assert.That(got).IsEqualTo(want).Because($"seed {seed}, run {run}, step {step}, entry {entry}, change {text}");
                    await Assert.That(state.Checksum).IsEqualTo(StateChecksum.Compute(expected)).Because($"seed {seed}");
                }

                await Assert.That(Encoding.UTF8.GetString(sync.GetPendingChanges()[^1].Canonical.Span)).IsEqualTo(text).Because($"seed {seed}");
            }
        }
    }

    [Test]
    public async Task A_delta_on_a_big_state_keeps_every_other_segment_byte_for_byte()
    {
        var sync = new EdgeSynchronizer();
        var big = new JsonObject();
        for (var i = 0; i < 2000; i++)
        {
            big[$"sensor-{i:D4}"] = new JsonObject { ["value"] = i * 0.5, ["unit"] = "C", ["tags"] = new JsonArray("x", i) };
        }

        var before = sync.UpdateLocal(big);
        var after = sync.UpdateLocal(new JsonObject { ["sensor-1000"] = 1, ["new-key"] = "n" }, isDelta: true);

        var old = before.Segments;
        var merged = after.Segments;
        await Assert.That(merged.Count).IsEqualTo(old.Count + 1);
        var kept = 0;
        for (int i = 0, j = 0; i < old.Count; i++, j++)
        {
            while (!merged.Key(j).SequenceEqual(old.Key(i)))
            {
                j++;
            }

            if (old.Key(i).SequenceEqual("sensor-1000"u8))
            {
                await Assert.That(Encoding.UTF8.GetString(after.Canonical.Span[merged.Bytes(j)])).IsEqualTo("\"sensor-1000\": 1");
                continue;
            }

            if (!after.Canonical.Span[merged.Bytes(j)].SequenceEqual(before.Canonical.Span[old.Bytes(i)]))
            {
                await Assert.That(Encoding.UTF8.GetString(after.Canonical.Span[merged.Bytes(j)])).IsEqualTo(Encoding.UTF8.GetString(before.Canonical.Span[old.Bytes(i)]));
            }

            kept++;
        }

        await Assert.That(kept).IsEqualTo(1999);
        big["sensor-1000"] = 1;
        big["new-key"] = "n";
        await Assert.That(after.Checksum).IsEqualTo(StateChecksum.Compute(big));
        await Assert.That(before.Verify()).IsTrue();
    }

    [Test]
    public async Task Segments_found_by_a_scan_equal_those_a_merge_made()
    {
        var sync = new EdgeSynchronizer();
        sync.UpdateLocal(new JsonObject { ["b"] = 1, ["\U0001F600"] = "x", ["\ue000"] = new JsonArray(1) });
        // A new key (the merge builds its own key table), then only existing keys (it shares the state's), then both.
        var states = new[]
        {
            sync.UpdateLocal(new JsonObject { ["a"] = new JsonObject { ["k"] = "v" } }, isDelta: true),
            sync.UpdateLocal(new JsonObject { ["b"] = "longer than before", [""] = 2 }, isDelta: true),
            sync.UpdateLocal(new JsonObject { ["😀"] = new JsonArray(), ["z"] = null }, isDelta: true),
        };

        foreach (var merged in states)
        {
            var scanned = StateSegments.Scan(merged.Canonical.Span);
            await Assert.That(scanned.Count).IsEqualTo(merged.Segments.Count);
            for (var i = 0; i < scanned.Count; i++)
            {
                await Assert.That(scanned.Key(i).SequenceEqual(merged.Segments.Key(i))).IsTrue();
                await Assert.That(scanned.Bytes(i)).IsEqualTo(merged.Segments.Bytes(i));
            }
        }

        await Assert.That(System.Text.Encoding.UTF8.GetString(states[^1].Canonical.Span))
            .IsEqualTo("{\"a\": {\"k\": \"v\"}, \"b\": \"longer than before\", \"z\": null, \"\\ue000\": 2, \"\\ud83d\\ude00\": []}");
    }
}
