using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Edge.Host.Tests.Http;

namespace Edge.Host.Tests.Process;

/// <summary>
/// The hardening cases where the real binary differs from in-process Kestrel: its own framing of chunked bodies and
/// the texts of a trimmed AOT build (which once stripped framework messages down to resource keys).
/// </summary>
public partial class BinaryHardeningTests
{
    private const string Token = "binary-token-0123456789";

    /// <summary>A framework resource key such as ArgumentOutOfRange_Generic_MustBeNonNegative or ZeroDepthAtEnd.</summary>
    [GeneratedRegex(@"\b[A-Z][A-Za-z0-9]+_[A-Za-z0-9_]+\b|^[A-Z][a-z]+(?:[A-Z][a-z]+){2,}$")]
    private static partial Regex ResourceKey();

    private static async Task<string> Detail(RawHttp.Response response, int status)
    {
        await Assert.That(response.Status).IsEqualTo(status);
        await Assert.That(response.Headers).Contains("application/problem+json");
        var detail = JsonNode.Parse(response.Body)!["detail"]!.GetValue<string>();
        await Assert.That(ResourceKey().IsMatch(detail)).IsFalse().Because($"detail is a resource key: {detail}");
        await Assert.That(detail).Contains(" ");
        return detail;
    }

    [Test]
    public async Task Binary_counts_body_bytes_of_chunked_requests_and_refuses_wrong_spellings_without_the_token()
    {
        var dir = Directory.CreateTempSubdirectory("edge-child-").FullName;
        await using var host = await ChildHost.ServeAsync(dir, "--token", Token, "--max-body-bytes", "1048576");
        var auth = $"Authorization: Bearer {Token}\r\nContent-Type: application/json";

        const string prefix = """{"message":""";
        string Body(int size) => prefix + "\"" + new string('a', size - prefix.Length - 3) + "\"}";
        foreach (var (size, chunked, status) in new[] { (1_048_576, false, 200), (1_048_576, true, 200), (1_048_577, false, 413), (1_048_577, true, 413) })
        {
            var response = await RawHttp.SendAsync(host.Port, "POST", "/v1/functions/echo/invoke", Body(size), auth, chunked, chunkSize: 8192);
            await Assert.That(response.Status).IsEqualTo(status).Because($"{size} bytes, chunked={chunked}");
        }

        foreach (var target in new[] { "/V1/state", "/%761/state", "/v1/./state", "/v1//state", "/v1/state/" })
        {
            var put = await RawHttp.SendAsync(host.Port, "PUT", target, """{"pwn":1}""", "Content-Type: application/json");
            await Assert.That(put.Status is 401 or 404).IsTrue().Because($"{target} answered {put.Status}");
        }

        var state = await RawHttp.SendAsync(host.Port, "GET", "/v1/state", extraHeaders: $"authorization: bearer {Token}");
        await Assert.That(state.Status).IsEqualTo(200);
        await Assert.That(JsonNode.Parse(state.Body)!["version"]!.GetValue<long>()).IsEqualTo(0L);
        Directory.Delete(dir, recursive: true);
    }

    [Test]
    public async Task Binary_error_texts_are_english_sentences()
    {
        var dir = Directory.CreateTempSubdirectory("edge-child-").FullName;
        await using var host = await ChildHost.ServeAsync(dir);
        const string json = "Content-Type: application/json";

        await Assert.That(await Detail(await RawHttp.SendAsync(host.Port, "PUT", "/v1/state", "{\"a\":", json), 400)).Contains("Malformed JSON");
        await Detail(await RawHttp.SendAsync(host.Port, "PUT", "/v1/state", "[1,2]", json), 400);
        await Detail(await RawHttp.SendAsync(host.Port, "POST", "/v1/state/remote", """{"version":"8","data":{},"checksum":"x","updatedAt":"2026-01-01T00:00:00Z"}""", json), 400);
        await Detail(await RawHttp.SendAsync(host.Port, "POST", "/v1/state/remote", """{"version":8,"data":{},"checksum":"x"}""", json), 400);
        await Detail(await RawHttp.SendAsync(host.Port, "POST", "/v1/functions/echo/invoke", """{"message":42}""", json), 400);
        await Detail(await RawHttp.SendAsync(host.Port, "POST", "/v1/functions/echo/invoke", "{\"message\":\"\\ud800\"}", json), 400);
        await Detail(await RawHttp.SendAsync(host.Port, "POST", "/v1/functions/sensor-stats/invoke", """{"readings":[1,"x"]}""", json), 400);
        await Detail(await RawHttp.SendAsync(host.Port, "POST", "/v1/state/confirm", """{"upToVersion":1}""", "Content-Type: text/plain"), 415);
        await Detail(await RawHttp.SendAsync(host.Port, "GET", "/v1/nope"), 404);
        await Detail(await RawHttp.SendAsync(host.Port, "DELETE", "/v1/functions"), 405);
        await Detail(await RawHttp.SendAsync(host.Port, "GET", "/v1/state", extraHeaders: "Host: evil.example"), 400);
        Directory.Delete(dir, recursive: true);
    }

    [Test]
    public async Task Binary_start_up_errors_are_english_sentences()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("edge-child-").FullName, "not-a-dir");
        await File.WriteAllTextAsync(file, "x");
        var run = await ChildHost.RunAsync("serve", "--urls", $"http://127.0.0.1:{ChildHost.FreePort()}", "--data-dir", Path.Combine(file, "sub"));
        await Assert.That(run.ExitCode).IsNotEqualTo(0);
        await Assert.That(ResourceKey().IsMatch(run.Stderr)).IsFalse().Because(run.Stderr);
        await Assert.That(run.Stderr).Contains("data directory");

        foreach (var token in new[] { "", "   ", " padded-token-of-16chars " })
        {
            var bad = await ChildHost.RunAsync("serve", "--token", token);
            await Assert.That(bad.ExitCode).IsEqualTo(2).Because($"token '{token}'");
            await Assert.That(bad.Stderr).Contains("'token'");
        }
    }
}
