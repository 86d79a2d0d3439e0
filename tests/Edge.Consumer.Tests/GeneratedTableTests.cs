using System.Buffers;
using System.Text;
using Edge.Consumer;
using Edge.Consumer.Functions;
using Edge.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Consumer.Tests;

/// <summary>The consumer's generated EdgeFunctionTable, deployed into a real EdgeRuntime.</summary>
public class GeneratedTableTests
{
    [Test]
    public async Task Descriptors_carry_the_attribute_metadata_and_signatures()
    {
        var stats = EdgeFunctionTable.Descriptors.Single(d => d.Id == "sensor-stats");
        var image = EdgeFunctionTable.Descriptors.Single(d => d.Id == "process-image");

        // Every function, in ordinal id order.
        await Assert.That(EdgeFunctionTable.Descriptors.Select(d => d.Id)).IsEquivalentTo(
            ["checksum", "classify", "describe", "flush", "greet", "process-image", "record-event", "scale", "sensor-stats", "slow", "window-average"],
            TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(stats.MemoryMb).IsEqualTo(64);
        await Assert.That(stats.TimeoutSeconds).IsEqualTo(2);
        await Assert.That(stats.Parameters.Single()).IsEqualTo(new EdgeParameterDescriptor("readings", "double[]"));
        await Assert.That(stats.ReturnType).IsEqualTo("Edge.Consumer.Functions.Stats");
        await Assert.That(stats.Method).IsEqualTo("Edge.Consumer.Functions.Sensors.Summarize");
        await Assert.That(stats.IsAsync).IsFalse();
        await Assert.That(image.RequiredCapabilities).IsEquivalentTo(["camera"]);
        await Assert.That(image.IsAsync).IsTrue();
        await Assert.That(image.AcceptsCancellation).IsTrue();
        await Assert.That(image.ReturnType).IsEqualTo("Edge.Consumer.Functions.Detection");
        await Assert.That(EdgeFunctionTable.Descriptors.Single(d => d.Id == "checksum").Name).IsEqualTo("Payload checksum");
    }

    [Test]
    public async Task DeployAll_deploys_every_function_with_its_metadata()
    {
        var runtime = NewRuntime();

        EdgeFunctionTable.DeployAll(runtime);

        await Assert.That(runtime.FunctionCount).IsEqualTo(EdgeFunctionTable.Descriptors.Count);
        foreach (var descriptor in EdgeFunctionTable.Descriptors)
        {
            var function = runtime.GetFunction(descriptor.Id)!;
            await Assert.That(function.Name).IsEqualTo(descriptor.Name);
            await Assert.That(function.MemoryMb).IsEqualTo(descriptor.MemoryMb);
            await Assert.That(function.TimeoutSeconds).IsEqualTo(descriptor.TimeoutSeconds);
            await Assert.That(function.RequiredCapabilities).IsEquivalentTo(descriptor.RequiredCapabilities);
            await Assert.That(function.JsonHandler is not null).IsTrue();
        }
    }

    [Test]
    public async Task Create_and_direct_json_dispatch_reject_unknown_ids()
    {
        await Assert.That(() => EdgeFunctionTable.Create("nope")).ThrowsExactly<EdgeFunctionNotFoundException>();
        await Assert.That(async () => await EdgeFunctionTable.InvokeJsonAsync("nope", default, new ArrayBufferWriter<byte>()))
            .ThrowsExactly<EdgeFunctionNotFoundException>();
        await Assert.That(EdgeFunctionTable.Create("scale").Id).IsEqualTo("scale");
        await Assert.That(EdgeFunctionTable.CreateAll().Count).IsEqualTo(EdgeFunctionTable.Descriptors.Count);
    }

    [Test]
    public async Task Direct_json_dispatch_calls_the_method()
    {
        var buffer = new ArrayBufferWriter<byte>();

        await EdgeFunctionTable.InvokeJsonAsync("scale", """{"values":[2,3],"factor":10}"""u8.ToArray(), buffer);

        await Assert.That(Encoding.UTF8.GetString(buffer.WrittenSpan)).IsEqualTo("[20,30]");
    }

    [Test]
    public async Task Every_function_answers_typed_calls()
    {
        var runtime = Deployed();

        await Assert.That(runtime.Invoke<double[], Stats>("sensor-stats", [2, 4])).IsEqualTo(new Stats(2, 3, 2, 4));
        await Assert.That(await runtime.InvokeAsync<Frame, Detection>("process-image", new Frame("c", [0, 1], 5)))
            .IsEqualTo(new Detection("c", "none", 0));
        await Assert.That(runtime.Invoke<byte[], uint, uint>("checksum", [7], 1)).IsEqualTo(Sensors.Checksum([7], 1));
        await Assert.That(await runtime.InvokeAsync<int[], int, int[]>("scale", [1, 2], 2)).IsEquivalentTo([2, 4], TUnit.Assertions.Enums.CollectionOrdering.Matching);
        await Assert.That(runtime.Invoke<double, Level, Level>("classify", 10, Level.High)).IsEqualTo(Level.High);
        await Assert.That(runtime.Invoke<string, string?, string>("greet", "Bo", "Ms")).IsEqualTo("Hello, Ms Bo!");
        runtime.Invoke<string, int, bool>("record-event", "typed", 7);
        await Assert.That(EventLog.Snapshot()).Contains("typed:7");
        await runtime.InvokeAsync<bool>("flush");
        await Assert.That(EventLog.Snapshot()).Contains("flushed");
        await Assert.That(await runtime.InvokeAsync<int, string>("slow", 0)).IsEqualTo("done");
    }

    [Test]
    public async Task Typed_call_with_the_wrong_signature_names_the_handler_type()
    {
        var runtime = Deployed();

        await Assert.That(() => runtime.Invoke<int, Stats>("sensor-stats", 1))
            .Throws<ArgumentException>()
            .WithMessageContaining("Func<Double[], Stats>");
    }

    [Test]
    [Arguments("sensor-stats", """{"readings":[1,2,3,4]}""", """{"Count":4,"Mean":2.5,"Min":1,"Max":4}""")]
    [Arguments("process-image", """{"frame":{"CameraId":"c","Pixels":[9,1],"Threshold":5}}""", """{"CameraId":"c","Label":"motion","BrightPixels":1}""")]
    [Arguments("checksum", """{"payload":"AQID","seed":0}""", "1456420779")]
    [Arguments("checksum", """{"payload":"AQID"}""", "1456420779")]
    [Arguments("scale", """{"values":[1,2],"factor":-1}""", "[-1,-2]")]
    [Arguments("classify", """{"temperature":55.5}""", "\"High\"")]
    [Arguments("classify", """{"temperature":1,"floor":"CRITICAL"}""", "\"Critical\"")]
    [Arguments("classify", """{"temperature":1,"floor":1}""", "\"High\"")]
    [Arguments("greet", """{"name":"Ada"}""", "\"Hello, Ada!\"")]
    [Arguments("greet", """{"title":null,"name":"Ada"}""", "\"Hello, Ada!\"")]
    [Arguments("greet", """ { "name" : "Ada" , "title" : "Dr" } """, "\"Hello, Dr Ada!\"")]
    [Arguments("record-event", """{"kind":"json","count":3}""", "")]
    [Arguments("flush", "", "")]
    [Arguments("flush", "{}", "")]
    [Arguments("slow", """{"milliseconds":0}""", "\"done\"")]
    [Arguments("describe", """{"id":"0f8fad5b-d9cb-469f-a165-70867728950e","at":"2026-01-02T03:04:05Z","span":"00:00:01","grade":"x","amount":1,"limit":5}""", "\"0f8fad5bd9cb469fa16570867728950e|2026-01-02T03:04:05.0000000\\u002B00:00|00:00:01|x|1|5|none\"")]
    [Arguments("window-average", """{"window":[1.5,2.5]}""", "2")]
    public async Task Every_function_answers_json_calls(string id, string arguments, string expected)
    {
        var runtime = Deployed();
        var buffer = new ArrayBufferWriter<byte>();

        await runtime.InvokeJsonAsync(id, Encoding.UTF8.GetBytes(arguments), buffer);

        await Assert.That(Encoding.UTF8.GetString(buffer.WrittenSpan)).IsEqualTo(expected);
    }

    [Test]
    public async Task Typed_call_times_out_at_the_deadline_and_cancels_the_token()
    {
        var time = new FakeTimeProvider();
        var runtime = Deployed(time);

        var call = runtime.InvokeAsync<int, string>("slow", 60_000).AsTask();
        time.Advance(TimeSpan.FromSeconds(1));

        await Assert.That(async () => await call).ThrowsExactly<EdgeTimeoutException>().WithMessageContaining("'slow'");
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(1);
    }

    [Test]
    public async Task Json_call_times_out_at_the_deadline_and_writes_nothing()
    {
        var time = new FakeTimeProvider();
        var runtime = Deployed(time);
        var buffer = new ArrayBufferWriter<byte>();

        var call = runtime.InvokeJsonAsync("slow", """{"milliseconds":60000}"""u8.ToArray(), buffer).AsTask();
        time.Advance(TimeSpan.FromSeconds(1));

        await Assert.That(async () => await call).ThrowsExactly<EdgeTimeoutException>();
        await Assert.That(buffer.WrittenCount).IsEqualTo(0);
    }

    [Test]
    [Arguments("sensor-stats", "{}", "readings", "is required but missing")]
    [Arguments("sensor-stats", """{"readings":"x"}""", "readings", "expected a JSON array, got a JSON string")]
    [Arguments("sensor-stats", """{"readings":[1,"2"]}""", "readings", "expected a JSON number (Double), got a JSON string")]
    [Arguments("sensor-stats", """{"readings":null}""", "readings", "must not be null")]
    [Arguments("sensor-stats", """{"readings":[1,2""", "readings", "malformed JSON")]
    [Arguments("sensor-stats", """{"readings":[1],"readings":[2]}""", "readings", "is given more than once")]
    [Arguments("sensor-stats", """{"readings":[1]} x""", null, "malformed JSON")]
    [Arguments("sensor-stats", """{"readings":[1]""", null, "malformed JSON")]
    [Arguments("scale", "[1]", null, "must be a JSON object")]
    [Arguments("scale", "42", null, "must be a JSON object")]
    [Arguments("scale", """{"values":[1],"factor":2.5}""", "factor", "2.5 is not a valid Int32")]
    [Arguments("scale", """{"values":[1],"factor":99999999999}""", "factor", "is not a valid Int32")]
    [Arguments("greet", """{"name":"x","nmae":"y"}""", "nmae", "is not a parameter of this function (expected name, title)")]
    [Arguments("greet", """{"name":null}""", "name", "must not be null")]
    [Arguments("greet", """{"name":5}""", "name", "expected a JSON string, got a JSON number")]
    [Arguments("flush", """{"x":1}""", "x", "it takes no arguments")]
    [Arguments("checksum", """{"payload":"AQ==","seed":-1}""", "seed", "-1 is not a valid UInt32")]
    [Arguments("checksum", """{"payload":"***"}""", "payload", "is not a valid base64 string")]
    [Arguments("classify", """{"temperature":1,"floor":"Lukewarm"}""", "floor", "\"Lukewarm\" is not one of Low, High, Critical")]
    [Arguments("classify", """{"temperature":1,"floor":7}""", "floor", "7 is not one of Low, High, Critical")]
    [Arguments("classify", """{"temperature":1,"floor":"7"}""", "floor", "is not one of Low, High, Critical")]
    [Arguments("process-image", """{"frame":{"Pixels":"no"}}""", "frame", "does not fit its type")]
    [Arguments("process-image", """{"frame":null}""", "frame", "must not be null")]
    [Arguments("describe", """{"id":"nope","at":"2026-01-02T03:04:05Z","span":"00:00:01","grade":"x","amount":1}""", "id", "\"nope\" is not a valid Guid")]
    [Arguments("describe", """{"id":"0f8fad5b-d9cb-469f-a165-70867728950e","at":"2026-01-02T03:04:05Z","span":"00:00:01","grade":"xy","amount":1}""", "grade", "exactly one character")]
    public async Task Bad_json_names_the_function_parameter_and_problem(string id, string arguments, string? parameter, string problem)
    {
        var runtime = Deployed();
        var buffer = new ArrayBufferWriter<byte>();

        var error = await Assert.That(async () => await runtime.InvokeJsonAsync(id, Encoding.UTF8.GetBytes(arguments), buffer))
            .ThrowsExactly<EdgeBindingException>();

        await Assert.That(error!.FunctionId).IsEqualTo(id);
        await Assert.That(error.Parameter).IsEqualTo(parameter);
        await Assert.That(error.Problem).Contains(problem);
        await Assert.That(error.Message).Contains($"Function '{id}'");
        await Assert.That(buffer.WrittenCount).IsEqualTo(0);
    }

    [Test]
    public async Task Binding_errors_are_recorded_as_failed_invocations()
    {
        var runtime = Deployed();

        await Assert.That(async () => await runtime.InvokeJsonAsync("scale", "{}"u8.ToArray(), new ArrayBufferWriter<byte>()))
            .ThrowsExactly<EdgeBindingException>();

        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(1);
        await Assert.That(runtime.Metrics.TotalInvocations("scale")).IsEqualTo(1);
    }

    [Test]
    public async Task A_function_that_throws_is_an_execution_error_through_json_too()
    {
        var runtime = Deployed();

        await Assert.That(async () => await runtime.InvokeJsonAsync("process-image", """{"frame":{"CameraId":"c","Pixels":null,"Threshold":1}}"""u8.ToArray(), new ArrayBufferWriter<byte>()))
            .ThrowsExactly<EdgeExecutionException>();
    }

    private static EdgeRuntime NewRuntime(TimeProvider? time = null) =>
        new(new EdgeNode("n1", "test") { Capabilities = ["camera"] }, timeProvider: time);

    private static EdgeRuntime Deployed(TimeProvider? time = null)
    {
        var runtime = NewRuntime(time);
        EdgeFunctionTable.DeployAll(runtime);
        return runtime;
    }
}
