using System.Text.Json.Serialization;

// Baseline for edge-host: GET /healthz and one POST that echoes a JSON string, nothing else.
// Usage: bare-kestrel [--urls http://127.0.0.1:5080]
var builder = WebApplication.CreateSlimBuilder(args);
if (builder.Configuration["urls"] is null)
{
    builder.WebHost.UseUrls("http://127.0.0.1:5080");
}

builder.WebHost.ConfigureKestrel(kestrel => kestrel.AddServerHeader = false);
builder.Logging.ClearProviders();
builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, BareJsonContext.Default));

var app = builder.Build();
app.MapGet("/healthz", () => TypedResults.Json("ok", BareJsonContext.Default.String));
app.MapPost("/echo", (EchoRequest request) => TypedResults.Json(request.Message, BareJsonContext.Default.String));
app.Run();

internal sealed record EchoRequest(string Message);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(EchoRequest))]
[JsonSerializable(typeof(string))]
internal sealed partial class BareJsonContext : JsonSerializerContext;
