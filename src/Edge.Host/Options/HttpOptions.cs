using System.ComponentModel.DataAnnotations;
using System.Net;
using Edge.Runtime;

namespace Edge.Host.Options;

/// <summary>The HTTP API: where it listens, its token and its request limits (configuration section <c>Http</c>).</summary>
public sealed class HttpOptions : IValidatableObject
{
    public const long MaxBodyBytesLimit = 1L << 30;

    /// <summary>URL(s) to listen on, ';'-separated.</summary>
    public string Urls { get; set; } = "http://127.0.0.1:8080";

    /// <summary>Bearer token required on <c>/v1</c>; required to bind beyond loopback.</summary>
    public string? Token { get; set; }

    /// <summary>A file holding the token (so it does not show in <c>ps</c>); read once at start into <see cref="Token"/>.</summary>
    public string? TokenFile { get; set; }

    /// <summary>PEM certificate (chain) served on the https:// URLs; with <see cref="KeyFile"/>.</summary>
    public string? CertFile { get; set; }

    /// <summary>PEM private key of <see cref="CertFile"/>.</summary>
    public string? KeyFile { get; set; }

    [WholeNumber(1, MaxBodyBytesLimit)]
    public long MaxBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Deepest JSON nesting accepted anywhere (HTTP bodies, MQTT payloads, <c>invoke --json</c>).</summary>
    [WholeNumber(1, JsonLimits.MaxDepth)]
    public int MaxJsonDepth { get; set; } = JsonLimits.DefaultDepth;

    public string[] SplitUrls() => Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>True when some URL is https://.</summary>
    public bool UsesHttps() => SplitUrls().Any(url => TryParseUrl(url) is { Scheme: "https" });

    /// <summary>True when every URL binds only to a loopback address.</summary>
    public bool IsLoopbackOnly() => SplitUrls().All(url => TryParseUrl(url) is { } uri && IsLoopback(uri.Host));

    /// <summary>True for <c>localhost</c> and loopback IP addresses (the embedded broker's rule too).</summary>
    public static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var urls = SplitUrls();
        if (urls.Length == 0)
        {
            yield return new("must name at least one URL", [nameof(Urls)]);
        }

        foreach (var url in urls)
        {
            if (TryParseUrl(url) is not { Scheme: "http" or "https" })
            {
                yield return new($"'{url}' is not an http:// or https:// URL", [nameof(Urls)]);
            }
        }

        if (UsesHttps() && (string.IsNullOrEmpty(CertFile) || string.IsNullOrEmpty(KeyFile)))
        {
            yield return new($"an https:// URL in '{Urls}' needs --https-cert and --https-key", [string.IsNullOrEmpty(CertFile) ? nameof(CertFile) : nameof(KeyFile)]);
        }
        else if (!UsesHttps() && (!string.IsNullOrEmpty(CertFile) || !string.IsNullOrEmpty(KeyFile)))
        {
            yield return new($"is set but no URL in '{Urls}' is https://", [string.IsNullOrEmpty(CertFile) ? nameof(KeyFile) : nameof(CertFile)]);
        }

        if (Token is not null && string.IsNullOrWhiteSpace(Token))
        {
            yield return new("must not be empty or white space (leave it unset to run without one on loopback)", [nameof(Token)]);
        }
        else if (Token is not null && Token.Trim().Length != Token.Length)
        {
            yield return new("must not start or end with white space", [nameof(Token)]);
        }
        else if (Token is { Length: < 16 })
        {
            yield return new("must be at least 16 characters", [nameof(Token)]);
        }
        else if (Token is null && urls.Length > 0 && !IsLoopbackOnly())
        {
            yield return new($"is required to listen on '{Urls}' (beyond loopback); set --token, --token-file or EDGE_TOKEN", [nameof(Token)]);
        }
    }

    // Kestrel's wildcard hosts ('*', '+') are not URI hosts; they bind every address.
    private static Uri? TryParseUrl(string url) =>
        Uri.TryCreate(url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) ? uri : null;
}
