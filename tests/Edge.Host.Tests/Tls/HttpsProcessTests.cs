using System.Net;
using System.Text;
using Edge.Host.Tests.Process;

namespace Edge.Host.Tests.Tls;

/// <summary><c>serve --urls https://...</c> with a PEM certificate and key, as a user runs it.</summary>
public class HttpsProcessTests
{
    [Test]
    public async Task The_API_is_served_over_https_with_the_given_certificate_and_plain_http_is_not()
    {
        using var pki = await TestPki.CreateAsync();
        var (cert, key) = await pki.IssueAsync("node", server: true);
        var dir = Directory.CreateTempSubdirectory("edge-https-").FullName;
        await using var host = await ChildHost.StartServeAsync(["--data-dir", dir, "--node-id", "tls-node", "--https-cert", cert, "--https-key", key], httpsCa: pki);

        await Assert.That(host.Client.BaseAddress!.Scheme).IsEqualTo("https");
        using var put = await host.Client.PutAsync("/v1/state", new StringContent("""{"door":"open"}""", Encoding.UTF8, "application/json"));
        await Assert.That(put.StatusCode).IsEqualTo(HttpStatusCode.OK);

        // A client that does not trust the CA is refused by its own TLS check: the certificate is the one given, not a default.
        using var untrusting = new HttpClient { BaseAddress = host.Client.BaseAddress };
        await Assert.That(async () => await untrusting.GetAsync("/healthz")).Throws<HttpRequestException>();
        using var plain = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{host.Port}") };
        await Assert.That(async () => await plain.GetAsync("/healthz")).Throws<HttpRequestException>();
    }

    [Test]
    public async Task Https_without_a_certificate_or_with_a_bad_one_stops_start_up_with_one_line()
    {
        using var pki = await TestPki.CreateAsync();
        var (cert, key) = await pki.IssueAsync("node", server: true);
        var (_, otherKey) = await pki.IssueAsync("other", server: true);
        var dir = Directory.CreateTempSubdirectory("edge-https-").FullName;
        var garbage = Path.Combine(dir, "garbage.pem");
        await File.WriteAllTextAsync(garbage, "not a certificate\n");

        foreach (var (args, says) in new (string[] Args, string Says)[]
        {
            (["--urls", "https://127.0.0.1:1"], "invalid setting 'https-cert': an https:// URL in 'https://127.0.0.1:1' needs --https-cert and --https-key"),
            (["--https-cert", cert, "--https-key", key], "invalid setting 'https-cert': from --https-cert: is set but no URL in 'http://127.0.0.1:8080' is https://"),
            (["--urls", "https://127.0.0.1:1", "--https-cert", cert, "--https-key", otherKey], $"invalid setting 'https-cert': cannot load the certificate '{cert}' with the key '{otherKey}'"),
            (["--urls", "https://127.0.0.1:1", "--https-cert", garbage, "--https-key", key], $"invalid setting 'https-cert': cannot load the certificate '{garbage}'"),
        })
        {
            var run = await ChildHost.RunAsync(["serve", "--data-dir", dir, .. args]);
            await Assert.That(run.ExitCode).IsEqualTo(2);
            var lines = run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            await Assert.That(lines.Length).IsEqualTo(1);
            await Assert.That(lines[0]).StartsWith("edge-host: " + says);
        }
    }
}
