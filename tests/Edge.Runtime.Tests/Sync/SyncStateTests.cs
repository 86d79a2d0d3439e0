using System.Text.Json.Nodes;
using Edge.Runtime;

namespace Edge.Runtime.Tests.Sync;

public class SyncStateTests
{
    [Test]
    public async Task FromData_matches_the_python_reference_checksum()
    {
        var state = SyncState.FromData(new JsonObject { ["sensor_data"] = new JsonArray(1, 2, 3) }, 5);

        await Assert.That(state.Version).IsEqualTo(5);
        await Assert.That(state.Checksum).IsEqualTo("a07817689015e9070c687774c0a350ad");
        await Assert.That(state.Verify()).IsTrue();
        await Assert.That(SyncState.FromData([], 1).Checksum).IsEqualTo("99914b932bd37a50b983c5e7c90ae93b");
    }

    [Test]
    public async Task FromData_deep_copies_its_input()
    {
        var inner = new JsonObject { ["t"] = 20.5 };
        var source = new JsonObject { ["room"] = inner, ["readings"] = new JsonArray(1, 2) };
        var state = SyncState.FromData(source, 1);
        var checksum = state.Checksum;

        inner["t"] = 99;
        source["readings"]!.AsArray().Add(3);
        source["new"] = true;

        await Assert.That(state.Data.ValueKind).IsEqualTo(System.Text.Json.JsonValueKind.Object);
        await Assert.That(state.Data.ToJsonString()).IsEqualTo("""{"readings":[1,2],"room":{"t":20.5}}""");
        await Assert.That(state.Checksum).IsEqualTo(checksum);
        await Assert.That(state.Verify()).IsTrue();
    }

    [Test]
    public async Task FromData_stamps_now_in_utc()
    {
        var before = DateTimeOffset.UtcNow;
        var state = SyncState.FromData([], 1);

        await Assert.That(state.UpdatedAt).IsBetween(before, DateTimeOffset.UtcNow);
        await Assert.That(state.UpdatedAt.Offset).IsEqualTo(TimeSpan.Zero);
    }

    [Test]
    public async Task FromData_with_a_timestamp_normalises_it_to_utc()
    {
        var local = new DateTimeOffset(2026, 3, 1, 14, 0, 0, TimeSpan.FromHours(2));

        var state = SyncState.FromData([], 1, local);

        await Assert.That(state.UpdatedAt).IsEqualTo(local);
        await Assert.That(state.UpdatedAt.Offset).IsEqualTo(TimeSpan.Zero);
        await Assert.That(state.UpdatedAt.Hour).IsEqualTo(12);
    }

    [Test]
    public async Task FromData_null_is_rejected()
    {
        await Assert.That(() => SyncState.FromData(null!, 1)).Throws<ArgumentNullException>();
    }

    [Test]
    public async Task Verify_fails_once_data_is_replaced_under_the_old_checksum()
    {
        // Data cannot be mutated in place any more; replacing it (with) keeps the claimed checksum, which then fails.
        var state = SyncState.FromData(new JsonObject { ["a"] = 1 }, 1);

        var replaced = state with { Data = new JsonObject { ["a"] = 2 }.Element() };

        await Assert.That(replaced.Verify()).IsFalse();
        await Assert.That(replaced.Canonical.Text()).IsEqualTo("""{"a": 2}""");
        await Assert.That(state.Verify()).IsTrue();
    }

    [Test]
    public async Task Verify_checks_the_checksum_case_insensitively_and_rejects_garbage()
    {
        var state = SyncState.FromData(new JsonObject { ["a"] = 1 }, 1);

        await Assert.That((state with { Checksum = state.Checksum.ToUpperInvariant() }).Verify()).IsTrue();
        await Assert.That((state with { Checksum = "00000000000000000000000000000000" }).Verify()).IsFalse();
        await Assert.That((state with { Checksum = "" }).Verify()).IsFalse();
        await Assert.That((state with { Checksum = null! }).Verify()).IsFalse();
        await Assert.That(() => state with { Data = default }).Throws<ArgumentException>();
    }

    [Test]
    public async Task Int_and_float_one_have_different_checksums_as_in_python()
    {
        var integer = SyncState.FromData(new JsonObject { ["v"] = 1 }, 1);
        var real = SyncState.FromData(new JsonObject { ["v"] = 1.0 }, 1);

        await Assert.That(integer.Checksum).IsNotEqualTo(real.Checksum);
        await Assert.That(real.Checksum).IsEqualTo(StateChecksum.Compute(JsonNode.Parse("""{"v": 1.0}""")));
    }

    [Test]
    public async Task Key_order_of_the_input_does_not_change_the_checksum()
    {
        var a = SyncState.FromData(new JsonObject { ["x"] = 1, ["y"] = new JsonObject { ["q"] = 1, ["p"] = 2 } }, 1);
        var b = SyncState.FromData(new JsonObject { ["y"] = new JsonObject { ["p"] = 2, ["q"] = 1 }, ["x"] = 1 }, 1);

        await Assert.That(a.Checksum).IsEqualTo(b.Checksum);
    }
}
