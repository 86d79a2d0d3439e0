using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Edge.Host.App;
using Edge.Host.Http;
using Edge.Host.Options;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace Edge.Host.Tests.Http;

/// <summary>The node put into an ASP.NET Core app of the user's own: AddEdgeNode + MapEdgeApi beside the app's routes.</summary>
public class EmbeddingTests
{
    private static HostSettings FromSection(Dictionary<string, string?> values) =>
        SettingsLoader.Load(new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Edge"));

    [Test]
    public async Task An_app_of_its_own_serves_its_routes_and_the_node_with_settings_from_its_configuration()
    {
        var dataDir = Directory.CreateTempSubdirectory("edge-embed-").FullName;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Edge:nodeId"] = "embedded-1",
            ["Edge:dataDir"] = dataDir,
            ["Edge:capabilities:0"] = "camera",
            ["Edge:maxBodyBytes"] = "64",
        });
        builder.Services.AddEdgeNode(EdgeFunctionTable.Instance, SettingsLoader.Load(builder.Configuration.GetSection("Edge")));
        await using var app = builder.Build();
        app.MapGet("/hello", () => "own route");
        app.MapEdgeApi();
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        await Assert.That(await client.GetStringAsync("/hello")).IsEqualTo("own route");
        var functions = (await client.GetFromJsonAsync<JsonArray>("/v1/functions"))!;
        await Assert.That(functions.Select(f => f!["id"]!.GetValue<string>()))
            .IsEquivalentTo(EdgeFunctionTable.Descriptors.Select(d => d.Id).Order(StringComparer.Ordinal), TUnit.Assertions.Enums.CollectionOrdering.Matching);
        var node = (await client.GetFromJsonAsync<JsonObject>("/v1/cluster/nodes/embedded-1"))!;
        await Assert.That(node["capabilities"]!.ToJsonString()).IsEqualTo("""["camera"]""");

        using var put = await client.PutAsync("/v1/state", new StringContent("""{"door":"open"}""", Encoding.UTF8, "application/json"));
        await Assert.That(put.StatusCode).IsEqualTo(HttpStatusCode.OK);
        await Assert.That(Directory.GetFiles(dataDir, "journal-*.log").Length).IsEqualTo(1);

        // The node's limits hold inside the app (the app's Kestrel allows far more than 64 bytes).
        using var big = await client.PutAsync("/v1/state", new StringContent($$"""{"pad":"{{new string('x', 100)}}"}""", Encoding.UTF8, "application/json"));
        await Assert.That(big.StatusCode).IsEqualTo(HttpStatusCode.RequestEntityTooLarge);
        await Assert.That(big.Content.Headers.ContentType!.MediaType).IsEqualTo("application/problem+json");

        await app.StopAsync();
        Directory.Delete(dataDir, recursive: true);
    }

    [Test]
    public async Task A_section_with_an_unknown_key_or_a_bad_value_is_refused_naming_it()
    {
        var unknown = await Assert.That(() => FromSection(new() { ["Edge:nodeId"] = "n1", ["Edge:dataDirectory"] = "/tmp/x" })).Throws<SettingsException>();
        await Assert.That(unknown!.Setting).IsEqualTo("Edge:dataDirectory");
        await Assert.That(unknown.Message).Contains("is not a setting");

        var bad = await Assert.That(() => FromSection(new() { ["Edge:maxPending"] = "-3" })).Throws<SettingsException>();
        await Assert.That(bad!.Setting).IsEqualTo("max-pending");
        await Assert.That(bad.Message).Contains("from Edge:maxPending");

        var loaded = FromSection(new() { ["Edge:conflictStrategy"] = "local-wins", ["Edge:heartbeatSeconds"] = "2", ["Edge:mqtt"] = "mqtt://127.0.0.1:1883" });
        await Assert.That(loaded.Journal.ConflictStrategy).IsEqualTo(Edge.Runtime.ConflictStrategy.LocalWins);
        await Assert.That(loaded.Mqtt!.HeartbeatInterval).IsEqualTo(TimeSpan.FromSeconds(2));
    }

    [Test]
    public async Task MapEdgeApi_without_AddEdgeNode_says_what_is_missing()
    {
        await using var app = WebApplication.CreateSlimBuilder().Build();
        var error = await Assert.That(() => app.MapEdgeApi()).Throws<InvalidOperationException>();
        await Assert.That(error!.Message).Contains("builder.Services.AddEdgeNode(");
    }
}
