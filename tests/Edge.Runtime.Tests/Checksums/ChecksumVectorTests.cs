using System.Text.Json.Nodes;
using Edge.Runtime;

namespace Edge.Runtime.Tests.Checksums;

public class ChecksumVectorTests
{
    public static IEnumerable<Func<(int Line, string Data, string Canonical, string Md5)>> Vectors()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Data", "checksum-vectors.jsonl");
        var line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            var doc = JsonNode.Parse(text)!.AsObject();
            var entry = (line, doc["data"]!.ToJsonString(), doc["canonical"]!.GetValue<string>(), doc["md5"]!.GetValue<string>());
            yield return () => entry;
        }
    }

    [Test]
    public async Task Vector_file_holds_all_300_cases()
    {
        await Assert.That(Vectors().Count()).IsEqualTo(300);
    }

    [Test]
    [MethodDataSource(nameof(Vectors))]
    public async Task Canonical_form_and_md5_match_cpython((int Line, string Data, string Canonical, string Md5) vector)
    {
        var data = JsonNode.Parse(vector.Data)!.AsObject();

        await Assert.That(CanonicalJson.ToCanonicalString(data)).IsEqualTo(vector.Canonical);
        await Assert.That(StateChecksum.Compute(data)).IsEqualTo(vector.Md5);
        await Assert.That(SyncState.FromData(data, 1).Checksum).IsEqualTo(vector.Md5);
    }

    /// <summary>Every entry path of a state makes the reference's bytes and checksum: a JsonObject, a JsonElement, UTF-8 text.</summary>
    [Test]
    [MethodDataSource(nameof(Vectors))]
    public async Task Every_entry_path_makes_the_reference_bytes((int Line, string Data, string Canonical, string Md5) vector)
    {
        var utf8 = System.Text.Encoding.UTF8.GetBytes(vector.Data);
        using var document = System.Text.Json.JsonDocument.Parse(utf8);
        var states = new[]
        {
            SyncState.FromData(JsonNode.Parse(vector.Data)!.AsObject(), 1),
            SyncState.FromData(document.RootElement, 1),
            SyncState.FromJson(utf8, 1),
            new EdgeSynchronizer().UpdateLocal(JsonNode.Parse(vector.Data)!.AsObject()),
            new EdgeSynchronizer().UpdateLocal(document.RootElement),
            new EdgeSynchronizer().UpdateLocalJson(utf8),
            new EdgeSynchronizer().UpdateLocalJson(utf8, isDelta: true),
            // The canonical form is a fixed point: canonical bytes canonicalize to themselves.
            SyncState.FromJson(System.Text.Encoding.UTF8.GetBytes(vector.Canonical), 1),
        };

        foreach (var state in states)
        {
            await Assert.That(System.Text.Encoding.UTF8.GetString(state.Canonical.Span)).IsEqualTo(vector.Canonical);
            await Assert.That(state.Checksum).IsEqualTo(vector.Md5);
            await Assert.That(state.Verify()).IsTrue();
        }
    }
}
