using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Edge.Runtime;

namespace Edge.Runtime.Tests.Sync;

/// <summary>States and pending changes are immutable values over canonical bytes (DESIGN.md §2, §4).</summary>
public class ImmutableStateTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    private static JsonElement Parse(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Test]
    public async Task Mutating_the_input_after_an_update_changes_nothing()
    {
        var sync = new EdgeSynchronizer();
        var input = new JsonObject { ["a"] = 1, ["list"] = new JsonArray(1, 2) };
        var state = sync.UpdateLocal(input);
        var checksum = state.Checksum;

        input["a"] = 2;
        input["list"]!.AsArray().Add(3);
        input["new"] = true;

        await Assert.That(Text(sync.GetLocalState()!.Canonical)).IsEqualTo("""{"a": 1, "list": [1, 2]}""");
        await Assert.That(Text(sync.GetPendingChanges()[0].Canonical)).IsEqualTo("""{"a": 1, "list": [1, 2]}""");
        await Assert.That(sync.GetLocalState()!.Checksum).IsEqualTo(checksum);
        await Assert.That(sync.GetLocalState()!.Verify()).IsTrue();
    }

    [Test]
    public async Task GetLocalState_hands_out_the_one_immutable_state()
    {
        var sync = new EdgeSynchronizer();
        var made = sync.UpdateLocal(new JsonObject { ["a"] = 1 });

        var read = sync.GetLocalState()!;

        await Assert.That(read).IsSameReferenceAs(made);
        await Assert.That(read).IsSameReferenceAs(sync.GetLocalState());
        await Assert.That(read.Data.ValueKind).IsEqualTo(JsonValueKind.Object);
        await Assert.That(read.Data.GetProperty("a").GetInt32()).IsEqualTo(1);
    }

    [Test]
    public async Task GetLocalState_allocates_nothing()
    {
        var sync = new EdgeSynchronizer();
        sync.UpdateLocal(new JsonObject { ["a"] = 1, ["b"] = "x" });
        _ = sync.GetLocalState();

        var before = GC.GetAllocatedBytesForCurrentThread();
        SyncState? state = null;
        for (var i = 0; i < 1000; i++)
        {
            state = sync.GetLocalState();
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        await Assert.That(state).IsNotNull();
        await Assert.That(allocated).IsEqualTo(0);
    }

    [Test]
    public async Task A_full_update_and_its_pending_change_share_the_canonical_bytes()
    {
        var sync = new EdgeSynchronizer();
        var state = sync.UpdateLocal(new JsonObject { ["a"] = 1 });
        var change = sync.GetPendingChanges()[0];

        await Assert.That(MemoryMarshal.TryGetArray(state.Canonical, out var s)).IsTrue();
        await Assert.That(MemoryMarshal.TryGetArray(change.Canonical, out var c)).IsTrue();
        await Assert.That(c.Array).IsSameReferenceAs(s.Array);
    }

    [Test]
    public async Task The_three_entry_paths_make_equal_states()
    {
        var fromNode = SyncState.FromData(new JsonObject { ["b"] = 1, ["a"] = new JsonObject { ["y"] = 2.5, ["x"] = "é" } }, 3, T0);
        var fromElement = SyncState.FromData(Parse("""{"b":1,"a":{"y":2.5,"x":"\u00e9"}}"""), 3, T0);
        var fromJson = SyncState.FromJson("""{"a": {"x": "é", "y": 2.5}, "b": 1}"""u8, 3, T0);

        await Assert.That(Text(fromNode.Canonical)).IsEqualTo("""{"a": {"x": "\u00e9", "y": 2.5}, "b": 1}""");
        await Assert.That(fromElement).IsEqualTo(fromNode);
        await Assert.That(fromJson).IsEqualTo(fromNode);
        await Assert.That(fromJson.GetHashCode()).IsEqualTo(fromNode.GetHashCode());
        await Assert.That(fromJson with { Version = 4 }).IsNotEqualTo(fromNode);
        await Assert.That(fromJson with { UpdatedAt = T0.AddTicks(1) }).IsNotEqualTo(fromNode);
        await Assert.That(fromJson with { Checksum = new string('0', 32) }).IsNotEqualTo(fromNode);
    }

    [Test]
    public async Task The_constructor_and_with_keep_canonical_consistent_with_data()
    {
        var claimed = new string('f', 32);
        var state = new SyncState(7, Parse("""{"z":[1,2.0],"a":null}"""), claimed, T0);

        await Assert.That(Text(state.Canonical)).IsEqualTo("""{"a": null, "z": [1, 2.0]}""");
        await Assert.That(state.Checksum).IsEqualTo(claimed);
        await Assert.That(state.Verify()).IsFalse();

        var replaced = state with { Data = Parse("""{"k":"v"}""") };
        await Assert.That(Text(replaced.Canonical)).IsEqualTo("""{"k": "v"}""");
        await Assert.That(replaced.Data.GetProperty("k").GetString()).IsEqualTo("v");
        await Assert.That(replaced.Checksum).IsEqualTo(claimed);
        await Assert.That((replaced with { Checksum = SyncState.FromJson("""{"k":"v"}"""u8, 1).Checksum }).Verify()).IsTrue();

        var (version, data, checksum, at) = state;
        await Assert.That(version).IsEqualTo(7);
        await Assert.That(data.GetProperty("z")[1].GetRawText()).IsEqualTo("2.0");
        await Assert.That(checksum).IsEqualTo(claimed);
        await Assert.That(at).IsEqualTo(T0);
    }

    [Test]
    public async Task Pending_changes_are_values_over_canonical_bytes()
    {
        var a = new PendingChange("delta", 2, Parse("""{"b":2,"a":1}"""), T0, true);
        var b = new PendingChange("delta", 2, Parse("""{"a":1,"b":2}"""), T0, true);

        await Assert.That(Text(a.Canonical)).IsEqualTo("""{"a": 1, "b": 2}""");
        await Assert.That(a).IsEqualTo(b);
        await Assert.That(a with { Data = Parse("""{"a":3}""") }).IsNotEqualTo(b);
        await Assert.That(Text((a with { Data = Parse("""{"a":3}""") }).Canonical)).IsEqualTo("""{"a": 3}""");
    }

    [Test]
    [Arguments(double.NaN, "NaN")]
    [Arguments(double.PositiveInfinity, "Infinity")]
    [Arguments(double.NegativeInfinity, "-Infinity")]
    public async Task NaN_and_infinities_are_refused_with_their_json_path(double value, string name)
    {
        var data = new JsonObject { ["ok"] = 1, ["room"] = new JsonObject { ["readings"] = new JsonArray(1.5, value) } };
        var sync = new EdgeSynchronizer();

        var fromData = await Assert.That(() => SyncState.FromData(data, 1)).Throws<ArgumentException>();
        await Assert.That(fromData!.Message).Contains($"{name} at $.room.readings[1]");
        await Assert.That(() => sync.UpdateLocal(data)).Throws<ArgumentException>();
        await Assert.That(() => sync.UpdateLocal(new JsonObject { ["f"] = (float)value }, isDelta: true)).Throws<ArgumentException>();
        await Assert.That(sync.LocalVersion).IsEqualTo(0);
    }

    [Test]
    [Arguments("[1,2]", "array")]
    [Arguments("42", "number")]
    [Arguments("\"s\"", "string")]
    [Arguments("null", "null")]
    public async Task FromJson_takes_only_an_object(string json, string kind)
    {
        var error = await Assert.That(() => SyncState.FromJson(Encoding.UTF8.GetBytes(json), 1)).Throws<ArgumentException>();
        await Assert.That(error!.Message).Contains($"got {kind}");
        await Assert.That(() => new EdgeSynchronizer().UpdateLocalJson(Encoding.UTF8.GetBytes(json))).Throws<ArgumentException>();
        await Assert.That(() => SyncState.FromData(Parse(json), 1)).Throws<ArgumentException>();
    }

    [Test]
    [Arguments("")]
    [Arguments("{")]
    [Arguments("{\"a\":1} {}")]
    [Arguments("{\"a\":1,\"a\":2}")]
    [Arguments("{\"b\":1,\"a\":1,\"b\":2}")]
    [Arguments("{\"a\":\"\\ud800\"}")]
    public async Task FromJson_refuses_what_the_canonical_form_cannot_hold(string json)
    {
        await Assert.That(() => SyncState.FromJson(Encoding.UTF8.GetBytes(json), 1)).Throws<ArgumentException>();
    }

    [Test]
    public async Task FromJson_refuses_invalid_utf8()
    {
        byte[] json = [(byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xC3, (byte)'"', (byte)'}'];

        await Assert.That(() => SyncState.FromJson(json, 1)).Throws<ArgumentException>();
    }

    [Test]
    public async Task Parsed_text_and_clr_values_keep_their_number_nature()
    {
        // A CLR double is a Python float (1.0); JSON text keeps what its text says (1 is an int, 1.0 a float).
        await Assert.That(Text(SyncState.FromData(new JsonObject { ["v"] = 1.0 }, 1).Canonical)).IsEqualTo("""{"v": 1.0}""");
        await Assert.That(Text(SyncState.FromJson("""{"v":1}"""u8, 1).Canonical)).IsEqualTo("""{"v": 1}""");
        await Assert.That(Text(SyncState.FromJson("""{"v":1.0}"""u8, 1).Canonical)).IsEqualTo("""{"v": 1.0}""");
        await Assert.That(Text(SyncState.FromJson("""{"v":1E2,"w":-0}"""u8, 1).Canonical)).IsEqualTo("""{"v": 100.0, "w": 0}""");
    }
}
