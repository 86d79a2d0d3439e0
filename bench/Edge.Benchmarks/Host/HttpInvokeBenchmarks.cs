using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using Edge.Host;
using Edge.Host.App;
using Edge.Host.Functions;
using Edge.Host.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Edge.Benchmarks.Host;

/// <summary>
/// One POST invoke over loopback HTTP/1.1 against the real edge-host app (in-process Kestrel), with a bare Kestrel
/// slim-builder minimal API that echoes a JSON string as the baseline. Both servers live in this process and share one
/// HttpClient, so the difference is the edge-host pipeline (routing, body limits, JSON validation, dispatch, metrics).
/// </summary>
/// <remarks>
/// Allocated bytes are process-wide (client and server side of each request), which is what a node pays per call.
/// </remarks>
[MemoryDiagnoser]
public class HttpInvokeBenchmarks
{
    private const string EchoJson = """{"message":"hello from the bench"}""";

    private WebApplication _bare = null!;
    private WebApplication _edge = null!;
    private HttpClient _client = null!;
    private Uri _bareEcho = null!;
    private Uri _edgeEcho = null!;
    private Uri _edgeSensorStats = null!;
    private byte[] _echoBody = null!;
    private byte[] _sensorBody = null!;
    private string _dataDir = null!;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "bare Kestrel POST /echo")]
    public Task<int> BareKestrelEcho() => PostAsync(_bareEcho, _echoBody);

    [Benchmark(Description = "edge-host POST /v1/functions/echo/invoke")]
    public Task<int> EdgeEcho() => PostAsync(_edgeEcho, _echoBody);

    [Benchmark(Description = "edge-host POST /v1/functions/sensor-stats/invoke (100 readings)")]
    public Task<int> EdgeSensorStats() => PostAsync(_edgeSensorStats, _sensorBody);

    private async Task SetupAsync()
    {
        _echoBody = Encoding.UTF8.GetBytes(EchoJson);
        _sensorBody = Encoding.UTF8.GetBytes(SensorJson(100));

        _bare = BuildBareApp();
        await _bare.StartAsync();

        _dataDir = Directory.CreateTempSubdirectory("edge-bench-http-").FullName;
        var settings = SettingsLoader.Load(
            new Dictionary<string, string> { ["urls"] = "http://127.0.0.1:0", ["data-dir"] = _dataDir, ["node-id"] = "bench-node" },
            _ => null);
        _edge = EdgeHost.BuildApp(settings, new FunctionCatalog(EdgeFunctionTable.Descriptors, EdgeFunctionTable.DeployAll));
        await _edge.StartAsync();

        _client = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        var bareBase = new Uri(_bare.Urls.First());
        var edgeBase = new Uri(_edge.Urls.First());
        _bareEcho = new Uri(bareBase, "/echo");
        _edgeEcho = new Uri(edgeBase, "/v1/functions/echo/invoke");
        _edgeSensorStats = new Uri(edgeBase, "/v1/functions/sensor-stats/invoke");

        // Fail the setup (and the smoke run) loudly when an endpoint does not answer as expected.
        await Expect(_bareEcho, _echoBody, "\"hello from the bench\"");
        await Expect(_edgeEcho, _echoBody, "\"hello from the bench\"");
        await Expect(_edgeSensorStats, _sensorBody, "\"count\":100");
    }

    private async Task CleanupAsync()
    {
        _client?.Dispose();
        foreach (var app in new[] { _edge, _bare })
        {
            if (app is not null)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }

        if (_dataDir is not null && Directory.Exists(_dataDir))
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }

    private async Task<int> PostAsync(Uri uri, byte[] body)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = JsonType;
        using var response = await _client.PostAsync(uri, content);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST {uri} answered {(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)}");
        }

        return bytes.Length;
    }

    private async Task Expect(Uri uri, byte[] body, string fragment)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = JsonType;
        using var response = await _client.PostAsync(uri, content);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode || !text.Contains(fragment, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"POST {uri} answered {(int)response.StatusCode} '{text}', expected a 2xx containing '{fragment}'");
        }
    }

    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    private static string SensorJson(int count)
    {
        var json = new StringBuilder("""{"readings":[""");
        for (var i = 0; i < count; i++)
        {
            json.Append(i == 0 ? "" : ",").Append((20 + Math.Sin(i / 10.0) * 5).ToString("0.###", CultureInfo.InvariantCulture));
        }

        return json.Append("]}").ToString();
    }

    /// <summary>The baseline: what any slim-builder minimal API pays for one small JSON POST (same code as bench/BareKestrel).</summary>
    private static WebApplication BuildBareApp()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
        builder.Logging.ClearProviders();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, BareJsonContext.Default));
        var app = builder.Build();
        app.MapPost("/echo", (EchoRequest request) => TypedResults.Json(request.Message, BareJsonContext.Default.String));
        return app;
    }
}

/// <summary>The bare baseline's request body.</summary>
public sealed record EchoRequest(string Message);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(EchoRequest))]
[JsonSerializable(typeof(string))]
internal sealed partial class BareJsonContext : JsonSerializerContext;
