using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using Edge.Host.App;
using Edge.Host.Functions;
using Edge.Host.Node;
using Edge.Host.Options;
using Edge.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.Host.Tests.Http;

/// <summary>A real edge-host on in-process Kestrel, bound to a free loopback port, with its own temp data dir.</summary>
internal sealed class TestHost : IAsyncDisposable
{
    private TestHost(WebApplication app, HttpClient client, LocalNode node, string dataDir)
    {
        App = app;
        Client = client;
        Node = node;
        DataDir = dataDir;
    }

    public WebApplication App { get; }

    public HttpClient Client { get; }

    public LocalNode Node { get; }

    public string DataDir { get; }

    private bool OwnsDataDir { get; init; }

    /// <summary>The port Kestrel bound.</summary>
    public int Port => Client.BaseAddress!.Port;

    /// <summary>Built-ins plus functions that fail, time out and return nothing, to reach every error path.</summary>
    public static FunctionCatalog Catalog() => new(EdgeFunctionTable.Descriptors, runtime =>
    {
        EdgeFunctionTable.DeployAll(runtime);
        runtime.Deploy(new EdgeFunction("fail", "fail", (Func<int>)(() => throw new InvalidOperationException("sensor bus unplugged")))
        {
            JsonHandler = static (_, _, _) => throw new InvalidOperationException("sensor bus unplugged"),
        });
        runtime.Deploy(new EdgeFunction("hang", "hang", (Func<CancellationToken, Task<int>>)(async ct =>
        {
            await Task.Delay(Timeout.Infinite, CancellationToken.None);
            return 0;
        }))
        {
            TimeoutSeconds = 1,
            JsonHandler = static async (_, _, _) => await Task.Delay(5000, CancellationToken.None),
        });
        runtime.Deploy(new EdgeFunction("noop", "noop", (Action)(() => { }))
        {
            JsonHandler = static (_, _, _) => ValueTask.CompletedTask,
        });
    });

    /// <summary>Starts a node; with <paramref name="dataDir"/> it reopens that directory (and leaves it in place on dispose).</summary>
    public static async Task<TestHost> StartAsync(Action<HostSettings>? configure = null, string? dataDir = null)
    {
        var owned = dataDir is null;
        dataDir ??= Directory.CreateTempSubdirectory("edge-host-test-").FullName;
        var settings = SettingsLoader.Load(
            new Dictionary<string, string> { ["urls"] = "http://127.0.0.1:0", ["data-dir"] = dataDir, ["node-id"] = "test-node" },
            _ => null);
        configure?.Invoke(settings);
        var app = EdgeHost.BuildApp(settings, Catalog());
        await app.StartAsync();
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        return new TestHost(app, client, app.Services.GetRequiredService<LocalNode>(), dataDir) { OwnsDataDir = owned };
    }

    public Task<HttpResponseMessage> PostJson(string path, string json) =>
        Client.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));

    public Task<HttpResponseMessage> Send(HttpMethod method, string path, string json) =>
        Client.SendAsync(new HttpRequestMessage(method, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") });

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (!OwnsDataDir)
        {
            return;
        }

        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
