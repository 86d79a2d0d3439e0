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
}
