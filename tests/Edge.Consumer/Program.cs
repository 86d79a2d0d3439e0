using System.Buffers;
using System.Text;
using Edge.Consumer;
using Edge.Consumer.Functions;
using Edge.Host;
using Edge.Host.Http;
using Edge.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

// "web": an ASP.NET Core app of its own (its own route, its own configuration) with the node put into it. Settings come
// from the "Edge" section, with the keys of edge-host's config file: web --urls http://127.0.0.1:5000 --Edge:dataDir=/tmp/x
if (args is ["web", .. var webArgs])
{
    var builder = WebApplication.CreateSlimBuilder(webArgs);
    Edge.Host.Options.HostSettings settings;
    try
    {
        settings = Edge.Host.Options.SettingsLoader.Load(builder.Configuration.GetSection("Edge"));
    }
    catch (Edge.Host.Options.SettingsException e)
    {
        await Console.Error.WriteLineAsync("Edge.Consumer: " + e.Message);
        return 2;
    }

    builder.Services.AddEdgeNode(EdgeFunctionTable.Instance, settings);
    var app = builder.Build();
    app.MapGet("/hello", () => "hello from the consumer's own route");
    app.MapEdgeApi();
    await app.RunAsync();
    return 0;
}

// With a command (serve, invoke, functions, version): the same CLI, HTTP API, durable state and fleet sync as
// edge-host, serving this project's own functions from one binary.
if (args.Length > 0)
{
    return await Edge.Host.EdgeHost.RunAsync(args, EdgeFunctionTable.Instance);
}

// Without one: runs every generated function typed and through JSON (timeouts and bad JSON included); exit code 0 only when all
// behaved as expected. The AOT smoke test (.ci/consumer-aot.sh) runs this as a native binary.
var failures = 0;
var runtime = new EdgeRuntime(new EdgeNode("n1", "consumer") { Capabilities = ["camera"] });
EdgeFunctionTable.DeployAll(runtime);

Check("descriptors", EdgeFunctionTable.Descriptors.Count == 11 && runtime.FunctionCount == 11, $"{EdgeFunctionTable.Descriptors.Count} descriptors");
foreach (var d in EdgeFunctionTable.Descriptors)
{
    Console.WriteLine($"  {d.Id}: {d.Method}({string.Join(", ", d.Parameters.Select(p => p.Type + " " + p.Name))}) -> {d.ReturnType}");
}

// Typed.
var stats = runtime.Invoke<double[], Stats>("sensor-stats", [1, 2, 3]);
Check("typed sensor-stats", stats == new Stats(3, 2, 1, 3), stats.ToString());
var detection = await runtime.InvokeAsync<Frame, Detection>("process-image", new Frame("cam-1", [1, 9, 7], 5));
Check("typed process-image", detection == new Detection("cam-1", "motion", 2), detection.ToString());
var checksum = runtime.Invoke<byte[], uint, uint>("checksum", [1, 2, 3], 0);
Check("typed checksum", checksum == Sensors.Checksum([1, 2, 3]), checksum.ToString(System.Globalization.CultureInfo.InvariantCulture));
var scaled = await runtime.InvokeAsync<int[], int, int[]>("scale", [1, 2], 3);
Check("typed scale", scaled.SequenceEqual([3, 6]), string.Join(",", scaled));
Check("typed classify", runtime.Invoke<double, Level, Level>("classify", 90, Level.Low) == Level.Critical, "Critical");
Check("typed greet", runtime.Invoke<string, string?, string>("greet", "Ada", null) == "Hello, Ada!", "Hello, Ada!");
runtime.Invoke<string, int, object?>("record-event", "door", 2);
Check("typed record-event", EventLog.Snapshot().Contains("door:2"), "door:2 logged");
// By delegate variance a Func<CancellationToken, Task> is also a Func<CancellationToken, object?>: still awaited.
await runtime.InvokeAsync<object?>("flush");
Check("typed flush", EventLog.Snapshot().Contains("flushed"), "flushed logged");
Check("typed slow", await runtime.InvokeAsync<int, string>("slow", 1) == "done", "done");
await Expect<EdgeTimeoutException>("typed slow timeout", async () => await runtime.InvokeAsync<int, string>("slow", 5000));

// JSON.
await Json("json sensor-stats", "sensor-stats", """{"readings":[1,2,3,4]}""", """{"Count":4,"Mean":2.5,"Min":1,"Max":4}""");
await Json("json process-image", "process-image", """{"frame":{"CameraId":"c","Pixels":[9],"Threshold":5}}""", """{"CameraId":"c","Label":"motion","BrightPixels":1}""");
await Json("json checksum", "checksum", """{"payload":"AQID"}""", checksum.ToString(System.Globalization.CultureInfo.InvariantCulture));
await Json("json scale", "scale", """{"factor":-1,"values":[1,2]}""", "[-1,-2]");
await Json("json classify", "classify", """{"temperature":55.5}""", "\"High\"");
await Json("json classify enum", "classify", """{"temperature":1,"floor":"critical"}""", "\"Critical\"");
await Json("json greet", "greet", """{"name":"Ada","title":"Dr"}""", "\"Hello, Dr Ada!\"");
await Json("json record-event", "record-event", """{"kind":"window","count":1}""", "");
await Json("json flush", "flush", "", "");
await Json("json slow", "slow", """{"milliseconds":0}""", "\"done\"");
await Json("json describe", "describe", """{"id":"0f8fad5b-d9cb-469f-a165-70867728950e","at":"2026-01-02T03:04:05+00:00","span":"1.02:03:04","grade":"A","amount":12.50,"levels":["low",2]}""", "\"0f8fad5bd9cb469fa16570867728950e|2026-01-02T03:04:05.0000000\\u002B00:00|1.02:03:04|A|12.50|none|Low\\u002BCritical\"");
await Json("json window-average", "window-average", """{"window":[1,2,6]}""", "3");
await Json("json window-average empty", "window-average", """{"window":[]}""", "null");
await Expect<EdgeTimeoutException>("json slow timeout", async () => await runtime.InvokeJsonAsync("slow", """{"milliseconds":5000}"""u8.ToArray(), new ArrayBufferWriter<byte>()));

// Bad JSON: function, parameter and problem named.
await BadJson("missing argument", "sensor-stats", "{}", "readings", "is required but missing");
await BadJson("wrong type", "sensor-stats", """{"readings":"x"}""", "readings", "expected a JSON array, got a JSON string");
await BadJson("malformed", "sensor-stats", """{"readings":[1,2""", "readings", "malformed JSON");
await BadJson("not an object", "scale", "[1]", null, "must be a JSON object");
await BadJson("unknown argument", "greet", """{"name":"x","nmae":"y"}""", "nmae", "is not a parameter of this function");
await BadJson("out of range", "checksum", """{"payload":"AQ==","seed":-1}""", "seed", "is not a valid UInt32");
await BadJson("bad enum", "classify", """{"temperature":1,"floor":"Lukewarm"}""", "floor", "is not one of Low, High, Critical");
await BadJson("bad user type", "process-image", """{"frame":{"Pixels":"no"}}""", "frame", "does not fit its type");
await BadJson("bad base64", "checksum", """{"payload":"***"}""", "payload", "is not a valid base64 string");
await BadJson("null string", "greet", """{"name":null}""", "name", "must not be null");

Console.WriteLine(failures == 0 ? "consumer: all checks passed" : $"consumer: {failures} check(s) FAILED");
return failures == 0 ? 0 : 1;

void Check(string name, bool ok, string detail)
{
    Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {name}: {detail}");
    if (!ok)
    {
        failures++;
    }
}

async Task Json(string name, string id, string arguments, string expected)
{
    var buffer = new ArrayBufferWriter<byte>();
    try
    {
        await runtime.InvokeJsonAsync(id, Encoding.UTF8.GetBytes(arguments), buffer);
        var actual = Encoding.UTF8.GetString(buffer.WrittenSpan);
        Check(name, actual == expected, actual);
    }
    catch (Exception ex)
    {
        Check(name, false, ex.GetType().Name + ": " + ex.Message);
    }
}

async Task Expect<TException>(string name, Func<Task> action)
    where TException : Exception
{
    try
    {
        await action();
        Check(name, false, "no exception");
    }
    catch (TException ex)
    {
        Check(name, true, ex.Message);
    }
    catch (Exception ex)
    {
        Check(name, false, ex.GetType().Name + ": " + ex.Message);
    }
}

async Task BadJson(string name, string id, string arguments, string? parameter, string problem)
{
    try
    {
        await runtime.InvokeJsonAsync(id, Encoding.UTF8.GetBytes(arguments), new ArrayBufferWriter<byte>());
        Check(name, false, "no exception");
    }
    catch (EdgeBindingException ex)
    {
        Check(name, ex.FunctionId == id && ex.Parameter == parameter && ex.Problem.Contains(problem, StringComparison.Ordinal), ex.Message);
    }
    catch (Exception ex)
    {
        Check(name, false, ex.GetType().Name + ": " + ex.Message);
    }
}
