using System.Buffers;
using System.Text;
using System.Text.Json;
using Edge.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Runtime.Tests.Functions;

/// <summary>InvokeJsonAsync through hand-written <see cref="EdgeJsonHandler"/>s, as the generator would emit them.</summary>
public class EdgeRuntimeJsonTests
{
    private static EdgeRuntime Runtime(TimeProvider? time = null) => new(new EdgeNode("edge-01", "n"), timeProvider: time);

    /// <summary>add(a: int, b: int) -> int, binding errors as EdgeBindingException.</summary>
    private static ValueTask Add(ReadOnlyMemory<byte> args, IBufferWriter<byte> result, CancellationToken ct)
    {
        using var doc = ParseObject("add", args);
        var a = Int(doc.RootElement, "add", "a");
        var b = Int(doc.RootElement, "add", "b");
        using var writer = new Utf8JsonWriter(result);
        writer.WriteNumberValue(a + b);
        return default;
    }

    private static JsonDocument ParseObject(string id, ReadOnlyMemory<byte> args)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(args);
        }
        catch (JsonException ex)
        {
            throw new EdgeBindingException(id, null, "arguments are not valid JSON", ex);
        }

        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            doc.Dispose();
            throw new EdgeBindingException(id, null, "arguments must be a JSON object");
        }

        return doc;
    }

    private static int Int(JsonElement root, string id, string name) =>
        root.TryGetProperty(name, out var p) && p.TryGetInt32(out var v) ? v : throw new EdgeBindingException(id, name, "expected an integer");

    private static EdgeFunction JsonFunction(string id, EdgeJsonHandler json, Delegate? typed = null, int timeoutSeconds = 30) =>
        new(id, id, typed ?? (Func<int>)(() => 0)) { JsonHandler = json, TimeoutSeconds = timeoutSeconds };

    private static string Text(ArrayBufferWriter<byte> buffer) => Encoding.UTF8.GetString(buffer.WrittenSpan);

    [Test]
    public async Task Success_writes_the_result()
    {
        var runtime = Runtime();
        runtime.Deploy(JsonFunction("add", Add));
        var output = new ArrayBufferWriter<byte>();

        await runtime.InvokeJsonAsync("add", """{"a": 2, "b": 40}"""u8.ToArray(), output);

        await Assert.That(Text(output)).IsEqualTo("42");
        await Assert.That(runtime.Metrics.SuccessRate("add")).IsEqualTo(100.0);
        await Assert.That(runtime.TotalInvocations).IsEqualTo(1);
        await Assert.That(runtime.IsWarm("add")).IsTrue();
    }

    [Test]
    public async Task Results_append_to_what_the_caller_already_wrote()
    {
        var runtime = Runtime();
        runtime.Deploy(JsonFunction("add", Add));
        var output = new ArrayBufferWriter<byte>();
        output.Write("["u8);

        await runtime.InvokeJsonAsync("add", """{"a":1,"b":1}"""u8.ToArray(), output);
        output.Write(","u8);
        await runtime.InvokeJsonAsync("add", """{"a":5,"b":5}"""u8.ToArray(), output);
        output.Write("]"u8);

        await Assert.That(Text(output)).IsEqualTo("[2,10]");
    }

    [Test]
    public async Task Async_json_handler_result_is_written()
    {
        var runtime = Runtime();
        runtime.Deploy(JsonFunction("echo", static async (args, result, ct) =>
        {
            await Task.Yield();
            ct.ThrowIfCancellationRequested();
            result.Write(args.Span);
        }));
        var output = new ArrayBufferWriter<byte>();

        await runtime.InvokeJsonAsync("echo", """{"x":[1,2]}"""u8.ToArray(), output);

        await Assert.That(Text(output)).IsEqualTo("""{"x":[1,2]}""");
    }

    [Test]
    public async Task Void_function_writes_nothing()
    {
        var runtime = Runtime();
        var calls = 0;
        runtime.Deploy(JsonFunction("noop", (_, _, _) =>
        {
            calls++;
            return default;
        }));
        var output = new ArrayBufferWriter<byte>();

        await runtime.InvokeJsonAsync("noop", "{}"u8.ToArray(), output);

        await Assert.That(output.WrittenCount).IsEqualTo(0);
        await Assert.That(calls).IsEqualTo(1);
    }

    [Test]
    public async Task Binding_exception_passes_through_unwrapped()
    {
        var runtime = Runtime();
        runtime.Deploy(JsonFunction("add", Add));
        var output = new ArrayBufferWriter<byte>();

        var missing = await Assert.That(async () => await runtime.InvokeJsonAsync("add", """{"a": 1}"""u8.ToArray(), output))
            .ThrowsExactly<EdgeBindingException>();
        var notObject = await Assert.That(async () => await runtime.InvokeJsonAsync("add", "[1,2]"u8.ToArray(), output))
            .ThrowsExactly<EdgeBindingException>();

        await Assert.That(missing!.Parameter).IsEqualTo("b");
        await Assert.That(missing.Message).IsEqualTo("Function 'add', parameter 'b': expected an integer");
        await Assert.That(notObject!.Parameter).IsNull();
        await Assert.That(output.WrittenCount).IsEqualTo(0);
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(2);
        await Assert.That(runtime.InFlight).IsEqualTo(0);
    }

    [Test]
    public async Task Async_binding_exception_passes_through_unwrapped()
    {
        var runtime = Runtime();
        runtime.Deploy(JsonFunction("f", static async (_, _, _) =>
        {
            await Task.Yield();
            throw new EdgeBindingException("f", "x", "out of range");
        }));

        await Assert.That(async () => await runtime.InvokeJsonAsync("f", "{}"u8.ToArray(), new ArrayBufferWriter<byte>()))
            .ThrowsExactly<EdgeBindingException>().WithMessage("Function 'f', parameter 'x': out of range");
    }

    [Test]
    public async Task Handler_failure_is_wrapped_and_nothing_is_written()
    {
        var runtime = Runtime();
        var boom = new InvalidOperationException("camera busy");
        runtime.Deploy(JsonFunction("f", (_, result, _) =>
        {
            result.Write("partial"u8);
            throw boom;
        }));
        var output = new ArrayBufferWriter<byte>();

        var ex = await Assert.That(async () => await runtime.InvokeJsonAsync("f", "{}"u8.ToArray(), output)).ThrowsExactly<EdgeExecutionException>();

        await Assert.That(ex!.InnerException).IsSameReferenceAs(boom);
        await Assert.That(ex.Message).Contains("camera busy");
        await Assert.That(output.WrittenCount).IsEqualTo(0);
    }

    [Test]
    public async Task Partial_output_of_a_failed_call_does_not_leak_into_the_next()
    {
        var runtime = Runtime();
        var fail = true;
        runtime.Deploy(JsonFunction("f", (_, result, _) =>
        {
            result.Write("junk"u8);
            if (fail)
            {
                throw new InvalidOperationException();
            }

            return default;
        }));

        await Assert.That(async () => await runtime.InvokeJsonAsync("f", "{}"u8.ToArray(), new ArrayBufferWriter<byte>())).Throws<EdgeExecutionException>();
        fail = false;
        var output = new ArrayBufferWriter<byte>();
        await runtime.InvokeJsonAsync("f", "{}"u8.ToArray(), output);

        await Assert.That(Text(output)).IsEqualTo("junk");
    }

    [Test]
    public async Task No_json_handler_is_a_clear_argument_exception()
    {
        var runtime = Runtime();
        runtime.Deploy(new EdgeFunction("typed", "t", (Func<int, int>)(x => x)));

        var ex = await Assert.That(async () => await runtime.InvokeJsonAsync("typed", "{}"u8.ToArray(), new ArrayBufferWriter<byte>()))
            .ThrowsExactly<ArgumentException>();

        await Assert.That(ex!.Message).Contains("'typed' has no JSON entry point");
        await Assert.That(runtime.TotalInvocations).IsEqualTo(0);
    }

    [Test]
    public async Task Unknown_id_gives_the_exact_message()
    {
        var runtime = Runtime();

        await Assert.That(async () => await runtime.InvokeJsonAsync("ghost", "{}"u8.ToArray(), new ArrayBufferWriter<byte>()))
            .Throws<ArgumentException>().WithMessage("Function not found: ghost");
    }

    [Test]
    public async Task Null_result_writer_is_rejected()
    {
        var runtime = Runtime();
        runtime.Deploy(JsonFunction("add", Add));

        await Assert.That(async () => await runtime.InvokeJsonAsync("add", "{}"u8.ToArray(), null!)).Throws<ArgumentNullException>();
    }

    [Test]
    public async Task Typed_and_json_entry_points_share_counters()
    {
        var runtime = Runtime();
        runtime.Deploy(JsonFunction("add", Add, (Func<int, int, int>)((a, b) => a + b)));

        await Assert.That(runtime.Invoke<int, int, int>("add", 1, 2)).IsEqualTo(3);
        await runtime.InvokeJsonAsync("add", """{"a":1,"b":2}"""u8.ToArray(), new ArrayBufferWriter<byte>());

        await Assert.That(runtime.InvocationCount("add")).IsEqualTo(2);
        await Assert.That(runtime.ColdStartCount).IsEqualTo(1);
        await Assert.That(runtime.Metrics.TotalInvocations("add")).IsEqualTo(2);
    }

    [Test]
    public async Task Json_handler_gets_a_deadline_token_and_times_out()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var runtime = Runtime(time);
        CancellationToken seen = default;
        runtime.Deploy(JsonFunction("slow", async (_, result, ct) =>
        {
            seen = ct;
            await Task.Delay(Timeout.Infinite, ct);
            result.Write("late"u8);
        }, timeoutSeconds: 4));
        var output = new ArrayBufferWriter<byte>();

        var call = runtime.InvokeJsonAsync("slow", "{}"u8.ToArray(), output).AsTask();
        await Assert.That(seen.CanBeCanceled).IsTrue();
        time.Advance(TimeSpan.FromSeconds(4));

        await Assert.That(async () => await call).Throws<TimeoutException>();
        await Assert.That(seen.IsCancellationRequested).IsTrue();
        await Assert.That(output.WrittenCount).IsEqualTo(0);
    }

    [Test]
    public async Task A_json_runaway_never_writes_into_the_callers_buffer()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var runtime = Runtime(time);
        var release = new TaskCompletionSource();
        runtime.Deploy(JsonFunction("stuck", async (_, result, _) =>
        {
            await release.Task;
            result.Write("late"u8);
        }, timeoutSeconds: 1));
        var output = new ArrayBufferWriter<byte>();

        var call = runtime.InvokeJsonAsync("stuck", "{}"u8.ToArray(), output).AsTask();
        time.Advance(TimeSpan.FromSeconds(1));
        await Assert.That(async () => await call).Throws<TimeoutException>();
        await Assert.That(runtime.RunawayCount).IsEqualTo(1);

        release.SetResult();

        await Assert.That(SpinWait.SpinUntil(() => runtime.InFlight == 0, TimeSpan.FromSeconds(30))).IsTrue();
        await Assert.That(output.WrittenCount).IsEqualTo(0);
    }

    [Test]
    public async Task Caller_cancellation_of_a_json_call()
    {
        var runtime = Runtime();
        runtime.Deploy(JsonFunction("add", Add));

        await Assert.That(async () => await runtime.InvokeJsonAsync("add", "{}"u8.ToArray(), new ArrayBufferWriter<byte>(), new CancellationToken(true)))
            .Throws<OperationCanceledException>();
        await Assert.That(runtime.TotalInvocations).IsEqualTo(0);
    }
}
