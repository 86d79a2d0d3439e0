using System.Text.Json.Nodes;
using Edge.Host.Http;
using Edge.Runtime;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Edge.Host.Tests.Http;

/// <summary>What a client sees when the journal cannot store a change.</summary>
public class StoreFailuresTests
{
    private static async Task<(int Status, string? ContentType, JsonNode Body)> Reply(Exception error)
    {
        var dir = Directory.CreateTempSubdirectory("edge-store-failures-").FullName;
        try
        {
            using var store = new FileSyncStore(new FileSyncStoreOptions(dir));
            await using var services = new ServiceCollection().AddLogging().AddNodeProblemDetails().BuildServiceProvider();
            var context = new DefaultHttpContext { RequestServices = services };
            context.Request.Path = "/v1/state";
            using var body = new MemoryStream();
            context.Response.Body = body;
            await Assert.That(StoreFailures.Handles(error)).IsTrue();
            await StoreFailures.Write(context, store, error);
            return (context.Response.StatusCode, context.Response.ContentType, JsonNode.Parse(body.ToArray())!);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task Full_disk_is_507_insufficient_storage_with_the_detail()
    {
        var (status, type, body) = await Reply(new JournalWriteException("The disk holding '/data' is full: LocalUpdate v4 ...", new IOException("No space left on device", 28), outOfSpace: true));
        await Assert.That(status).IsEqualTo(507);
        await Assert.That(type).IsEqualTo("application/problem+json");
        await Assert.That(body["title"]!.GetValue<string>()).IsEqualTo("Insufficient Storage");
        await Assert.That(body["detail"]!.GetValue<string>()).StartsWith("The disk holding '/data' is full");
        await Assert.That(body["instance"]!.GetValue<string>()).IsEqualTo("/v1/state");
    }

    [Test]
    public async Task Stopped_journal_is_503_with_the_reason()
    {
        var reason = "The journal in '/data' stopped taking writes: fsync of the journal failed (EIO). Restart the node to recover from what is on disk.";
        var (status, type, body) = await Reply(new JournalFaultedException(reason));
        await Assert.That(status).IsEqualTo(503);
        await Assert.That(type).IsEqualTo("application/problem+json");
        await Assert.That(body["detail"]!.GetValue<string>()).IsEqualTo(reason);
    }

    [Test]
    public async Task Other_refused_write_on_a_healthy_store_is_500_with_the_detail()
    {
        var (status, _, body) = await Reply(new JournalWriteException("LocalUpdate v2 cannot be journaled: NaN"));
        await Assert.That(status).IsEqualTo(500);
        await Assert.That(body["detail"]!.GetValue<string>()).IsEqualTo("LocalUpdate v2 cannot be journaled: NaN");
    }
}
