using Edge.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Runtime.Tests.Functions;

public class EdgeRuntimeTests
{
    private static EdgeNode Node() => new("edge-01", "warehouse-sensor");

    private static EdgeFunction Fn(string id, Delegate handler) => new(id, id, handler);

    [Test]
    public async Task Spec_example_deploy_invoke_list_undeploy()
    {
        // node = EdgeNode(id="edge-01", name="warehouse-sensor"); runtime = EdgeRuntime(node)
        var node = new EdgeNode("edge-01", "warehouse-sensor");
        var runtime = new EdgeRuntime(node);
        Func<byte[], int> myHandler = image => image.Length;

        var func = new EdgeFunction("fn-1", "process-image", myHandler);
        runtime.Deploy(func);
        var result = runtime.Invoke<byte[], int>("fn-1", [1, 2, 3]);

        await Assert.That(result).IsEqualTo(3);
        await Assert.That(runtime.ListFunctions().Count).IsEqualTo(1);
        await Assert.That(runtime.ListFunctions()[0]).IsSameReferenceAs(func);
        await Assert.That(runtime.Undeploy("fn-1")).IsTrue();
        await Assert.That(runtime.ListFunctions().Count).IsEqualTo(0);
    }

    [Test]
    public async Task Constructor_keeps_node_and_metrics_and_rejects_null_node()
    {
        var node = Node();
        var metrics = new EdgeMetrics();
        var runtime = new EdgeRuntime(node, metrics);

        await Assert.That(runtime.Node).IsSameReferenceAs(node);
        await Assert.That(runtime.Metrics).IsSameReferenceAs(metrics);
        await Assert.That(new EdgeRuntime(node).Metrics).IsNotNull();
        await Assert.That(() => new EdgeRuntime(null!)).Throws<ArgumentNullException>();
    }

    [Test]
    public async Task A_new_runtime_is_empty()
    {
        var runtime = new EdgeRuntime(Node());

        await Assert.That(runtime.FunctionCount).IsEqualTo(0);
        await Assert.That(runtime.ListFunctions().Count).IsEqualTo(0);
        await Assert.That(runtime.TotalInvocations).IsEqualTo(0);
        await Assert.That(runtime.ColdStartCount).IsEqualTo(0);
        await Assert.That(runtime.InFlight).IsEqualTo(0);
        await Assert.That(runtime.RunawayCount).IsEqualTo(0);
    }

    [Test]
    public async Task List_is_ordered_by_id_and_counts_functions()
    {
        var runtime = new EdgeRuntime(Node());
        runtime.Deploy(Fn("b", (Func<int>)(() => 2)));
        runtime.Deploy(Fn("a", (Func<int>)(() => 1)));
        runtime.Deploy(Fn("C", (Func<int>)(() => 3)));

        await Assert.That(runtime.FunctionCount).IsEqualTo(3);
        await Assert.That(runtime.ListFunctions().Select(f => f.Id)).IsEquivalentTo(new[] { "C", "a", "b" }, TUnit.Assertions.Enums.CollectionOrdering.Matching);
    }

    [Test]
    public async Task Listed_functions_are_a_snapshot()
    {
        var runtime = new EdgeRuntime(Node());
        runtime.Deploy(Fn("a", (Func<int>)(() => 1)));
        var before = runtime.ListFunctions();

        runtime.Deploy(Fn("b", (Func<int>)(() => 2)));
        runtime.Undeploy("a");

        await Assert.That(before.Count).IsEqualTo(1);
        await Assert.That(before[0].Id).IsEqualTo("a");
    }

    [Test]
    public async Task Deploy_replaces_a_function_with_the_same_id()
    {
        var runtime = new EdgeRuntime(Node());
        var first = Fn("f", (Func<int, int>)(x => x + 1));
        var second = Fn("f", (Func<int, int>)(x => x * 100));
        runtime.Deploy(first);
        await Assert.That(runtime.Invoke<int, int>("f", 2)).IsEqualTo(3);

        runtime.Deploy(second);

        await Assert.That(runtime.FunctionCount).IsEqualTo(1);
        await Assert.That(runtime.GetFunction("f")).IsSameReferenceAs(second);
        await Assert.That(runtime.Invoke<int, int>("f", 2)).IsEqualTo(200);
    }

    [Test]
    public async Task Replacing_can_change_the_handler_signature()
    {
        var runtime = new EdgeRuntime(Node());
        runtime.Deploy(Fn("f", (Func<int, int>)(x => x)));
        runtime.Deploy(Fn("f", (Func<string, string>)(s => s + "!")));

        await Assert.That(runtime.Invoke<string, string>("f", "hi")).IsEqualTo("hi!");
        await Assert.That(() => runtime.Invoke<int, int>("f", 1)).Throws<ArgumentException>();
    }

    [Test]
    public async Task Deploy_null_is_rejected()
    {
        var runtime = new EdgeRuntime(Node());

        await Assert.That(() => runtime.Deploy(null!)).Throws<ArgumentNullException>();
    }

    [Test]
    public async Task Undeploy_reports_whether_it_removed_anything()
    {
        var runtime = new EdgeRuntime(Node());
        runtime.Deploy(Fn("f", (Func<int>)(() => 1)));

        await Assert.That(runtime.Undeploy("f")).IsTrue();
        await Assert.That(runtime.Undeploy("f")).IsFalse();
        await Assert.That(runtime.Undeploy("never")).IsFalse();
        await Assert.That(runtime.GetFunction("f")).IsNull();
        await Assert.That(runtime.FunctionCount).IsEqualTo(0);
        await Assert.That(() => runtime.Invoke<int>("f")).Throws<ArgumentException>().WithMessage("Function not found: f");
    }

    [Test]
    public async Task GetFunction_returns_null_for_unknown()
    {
        var runtime = new EdgeRuntime(Node());

        await Assert.That(runtime.GetFunction("nope")).IsNull();
    }

    [Test]
    public async Task Unknown_id_gives_the_exact_message_at_every_arity()
    {
        var runtime = new EdgeRuntime(Node());
        const string Expected = "Function not found: ghost";

        await Assert.That(() => runtime.Invoke<int>("ghost")).ThrowsExactly<EdgeFunctionNotFoundException>().WithMessage(Expected);
        await Assert.That(() => runtime.Invoke<int, int>("ghost", 1)).Throws<ArgumentException>().WithMessage(Expected);
        await Assert.That(() => runtime.Invoke<int, int, int>("ghost", 1, 2)).Throws<ArgumentException>().WithMessage(Expected);
        await Assert.That(() => runtime.Invoke<int, int, int, int>("ghost", 1, 2, 3)).Throws<ArgumentException>().WithMessage(Expected);
        await Assert.That(() => runtime.Invoke<int, int, int, int, int>("ghost", 1, 2, 3, 4)).Throws<ArgumentException>().WithMessage(Expected);
        await Assert.That(async () => await runtime.InvokeAsync<int>("ghost")).Throws<ArgumentException>().WithMessage(Expected);
        await Assert.That(async () => await runtime.InvokeAsync<int, int>("ghost", 1)).Throws<ArgumentException>().WithMessage(Expected);
        await Assert.That(async () => await runtime.InvokeAsync<int, int, int>("ghost", 1, 2)).Throws<ArgumentException>().WithMessage(Expected);
        await Assert.That(async () => await runtime.InvokeAsync<int, int, int, int>("ghost", 1, 2, 3)).Throws<ArgumentException>().WithMessage(Expected);
        await Assert.That(async () => await runtime.InvokeAsync<int, int, int, int, int>("ghost", 1, 2, 3, 4)).Throws<ArgumentException>().WithMessage(Expected);
        await Assert.That(runtime.TotalInvocations).IsEqualTo(0);
        await Assert.That(runtime.Metrics.TotalInvocations()).IsEqualTo(0);
    }

    [Test]
    public async Task Unknown_id_exception_carries_the_id()
    {
        var runtime = new EdgeRuntime(Node());

        var ex = await Assert.That(() => runtime.Invoke<int>("fn-x")).ThrowsExactly<EdgeFunctionNotFoundException>();

        await Assert.That(ex!.FunctionId).IsEqualTo("fn-x");
        await Assert.That(ex.Message).IsEqualTo("Function not found: fn-x");
    }

    [Test]
    public async Task Null_id_is_rejected()
    {
        var runtime = new EdgeRuntime(Node());

        await Assert.That(() => runtime.Invoke<int>(null!)).Throws<ArgumentNullException>();
    }

    [Test]
    public async Task Wrong_argument_type_names_the_real_delegate_type()
    {
        var runtime = new EdgeRuntime(Node());
        runtime.Deploy(Fn("f", (Func<int, int>)(x => x)));

        var ex = await Assert.That(() => runtime.Invoke<string, int>("f", "1")).Throws<ArgumentException>();

        await Assert.That(ex!.Message).Contains("Func<Int32, Int32>");
        await Assert.That(ex.Message).Contains("Invoke<String, Int32>");
        await Assert.That(ex is EdgeFunctionNotFoundException).IsFalse();
    }

    [Test]
    public async Task Wrong_result_type_or_arity_names_the_real_delegate_type()
    {
        var runtime = new EdgeRuntime(Node());
        runtime.Deploy(Fn("f", (Func<double[], CancellationToken, ValueTask<int>>)((xs, _) => new(xs.Length))));

        await Assert.That(() => runtime.Invoke<double[], long>("f", []))
            .Throws<ArgumentException>().WithMessageContaining("Func<Double[], CancellationToken, ValueTask<Int32>>");
        await Assert.That(() => runtime.Invoke<int>("f"))
            .Throws<ArgumentException>().WithMessageContaining("Func<Double[], CancellationToken, ValueTask<Int32>>");
        await Assert.That(() => runtime.Invoke<double[], int, int>("f", [], 1))
            .Throws<ArgumentException>().WithMessageContaining("Func<Double[], CancellationToken, ValueTask<Int32>>");
        await Assert.That(async () => await runtime.InvokeAsync<double[], string>("f", []))
            .Throws<ArgumentException>().WithMessageContaining("Func<Double[], CancellationToken, ValueTask<Int32>>");
    }

    [Test]
    public async Task A_signature_mismatch_is_not_an_invocation()
    {
        var runtime = new EdgeRuntime(Node());
        runtime.Deploy(Fn("f", (Func<int, int>)(x => x)));

        await Assert.That(() => runtime.Invoke<long, int>("f", 1L)).Throws<ArgumentException>();

        await Assert.That(runtime.TotalInvocations).IsEqualTo(0);
        await Assert.That(runtime.IsWarm("f")).IsFalse();
        await Assert.That(runtime.ColdStartCount).IsEqualTo(0);
        await Assert.That(runtime.Metrics.TotalInvocations()).IsEqualTo(0);
        await Assert.That(runtime.InFlight).IsEqualTo(0);
    }

    [Test]
    public async Task Reference_results_bind_covariantly()
    {
        var runtime = new EdgeRuntime(Node());
        runtime.Deploy(Fn("f", (Func<string, string>)(s => s.ToUpperInvariant())));

        await Assert.That(runtime.Invoke<string, object>("f", "abc")).IsEqualTo("ABC");
    }

    [Test]
    public async Task Sync_exception_is_wrapped_with_the_original_inside()
    {
        var runtime = new EdgeRuntime(Node());
        var boom = new InvalidOperationException("sensor offline");
        runtime.Deploy(Fn("f", (Func<int, int>)(_ => throw boom)));

        var ex = await Assert.That(() => runtime.Invoke<int, int>("f", 1)).ThrowsExactly<EdgeExecutionException>();

        await Assert.That(ex!.InnerException).IsSameReferenceAs(boom);
        await Assert.That(ex.Message).Contains("sensor offline");
        await Assert.That(ex.FunctionId).IsEqualTo("f");
    }

    [Test]
    public async Task Async_exception_is_wrapped_on_both_paths()
    {
        var runtime = new EdgeRuntime(Node());
        var boom = new FormatException("bad frame");
        runtime.Deploy(Fn("f", (Func<int, Task<int>>)(async _ =>
        {
            await Task.Yield();
            throw boom;
        })));

        var asyncEx = await Assert.That(async () => await runtime.InvokeAsync<int, int>("f", 1)).ThrowsExactly<EdgeExecutionException>();
        var syncEx = await Assert.That(() => runtime.Invoke<int, int>("f", 1)).ThrowsExactly<EdgeExecutionException>();

        await Assert.That(asyncEx!.InnerException).IsSameReferenceAs(boom);
        await Assert.That(asyncEx.Message).Contains("bad frame");
        await Assert.That(syncEx!.InnerException).IsSameReferenceAs(boom);
    }

    [Test]
    public async Task Faulted_task_and_argument_exception_from_a_handler_are_wrapped()
    {
        var runtime = new EdgeRuntime(Node());
        var argument = new ArgumentException("negative size");
        runtime.Deploy(Fn("faulted", (Func<Task<int>>)(() => Task.FromException<int>(new IOException("disk")))));
        runtime.Deploy(Fn("argument", (Action)(() => throw argument)));

        var faulted = await Assert.That(async () => await runtime.InvokeAsync<int>("faulted")).ThrowsExactly<EdgeExecutionException>();
        var wrapped = await Assert.That(() => runtime.Invoke<object>("argument")).ThrowsExactly<EdgeExecutionException>();

        await Assert.That(faulted!.InnerException is IOException).IsTrue();
        await Assert.That(wrapped!.InnerException).IsSameReferenceAs(argument);
    }

    [Test]
    public async Task A_handlers_own_cancellation_is_a_failure_not_a_timeout()
    {
        var runtime = new EdgeRuntime(Node());
        runtime.Deploy(Fn("f", (Func<CancellationToken, int>)(_ => throw new OperationCanceledException("own"))));

        var ex = await Assert.That(() => runtime.Invoke<int>("f")).ThrowsExactly<EdgeExecutionException>();
        var asyncEx = await Assert.That(async () => await runtime.InvokeAsync<int>("f")).ThrowsExactly<EdgeExecutionException>();

        await Assert.That(ex!.InnerException is OperationCanceledException).IsTrue();
        await Assert.That(asyncEx!.InnerException is OperationCanceledException).IsTrue();
    }

    [Test]
    public async Task Failures_are_recorded_as_failures_and_release_the_slot()
    {
        var runtime = new EdgeRuntime(Node());
        runtime.Deploy(Fn("ok", (Func<int>)(() => 1)));
        runtime.Deploy(Fn("bad", (Func<int>)(() => throw new InvalidOperationException("x"))));

        runtime.Invoke<int>("ok");
        runtime.Invoke<int>("ok");
        runtime.Invoke<int>("ok");
        await Assert.That(() => runtime.Invoke<int>("bad")).Throws<EdgeExecutionException>();

        await Assert.That(runtime.TotalInvocations).IsEqualTo(4);
        await Assert.That(runtime.Metrics.TotalInvocations()).IsEqualTo(4);
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(1);
        await Assert.That(runtime.Metrics.ErrorCount("edge-01")).IsEqualTo(1);
        await Assert.That(runtime.Metrics.SuccessRate()).IsEqualTo(75.0);
        await Assert.That(runtime.Metrics.SuccessRate("bad")).IsEqualTo(0.0);
        await Assert.That(runtime.Metrics.SuccessRate("ok")).IsEqualTo(100.0);
        await Assert.That(runtime.InFlight).IsEqualTo(0);
    }

    [Test]
    public async Task Latency_comes_from_the_injected_clock()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var runtime = new EdgeRuntime(Node(), timeProvider: time);
        runtime.Deploy(Fn("f", (Func<int, int>)(ms =>
        {
            time.Advance(TimeSpan.FromMilliseconds(ms));
            return ms;
        })));

        runtime.Invoke<int, int>("f", 250);
        runtime.Invoke<int, int>("f", 750);

        await Assert.That(runtime.Metrics.AvgLatencyMs("f")).IsEqualTo(500.0);
        await Assert.That(runtime.Metrics.TotalInvocations("f", "edge-01")).IsEqualTo(2);
        await Assert.That(runtime.Metrics.Summary().P99Ms).IsGreaterThan(740.0);
    }

    [Test]
    public async Task A_function_starts_cold_and_the_first_invocation_warms_it()
    {
        var runtime = new EdgeRuntime(Node());
        runtime.Deploy(Fn("f", (Func<int>)(() => 1)));

        await Assert.That(runtime.IsWarm("f")).IsFalse();
        runtime.Invoke<int>("f");
        await Assert.That(runtime.IsWarm("f")).IsTrue();
        await Assert.That(runtime.ColdStartCount).IsEqualTo(1);
        runtime.Invoke<int>("f");
        await runtime.InvokeAsync<int>("f");
        await Assert.That(runtime.ColdStartCount).IsEqualTo(1);
        await Assert.That(runtime.TotalInvocations).IsEqualTo(3);
    }

    [Test]
    public async Task A_failed_first_invocation_still_counts_as_the_cold_start()
    {
        var runtime = new EdgeRuntime(Node());
        runtime.Deploy(Fn("f", (Func<int>)(() => throw new InvalidOperationException())));

        await Assert.That(() => runtime.Invoke<int>("f")).Throws<EdgeExecutionException>();

        await Assert.That(runtime.IsWarm("f")).IsTrue();
        await Assert.That(runtime.ColdStartCount).IsEqualTo(1);
    }

    [Test]
    public async Task WarmUp_warms_once_and_counts_a_cold_start()
    {
        var runtime = new EdgeRuntime(Node());
        runtime.Deploy(Fn("f", (Func<int>)(() => 1)));

        await Assert.That(runtime.WarmUp("f")).IsTrue();
        await Assert.That(runtime.IsWarm("f")).IsTrue();
        await Assert.That(runtime.ColdStartCount).IsEqualTo(1);
        await Assert.That(runtime.WarmUp("f")).IsFalse();
        runtime.Invoke<int>("f");
        await Assert.That(runtime.ColdStartCount).IsEqualTo(1);
        await Assert.That(runtime.TotalInvocations).IsEqualTo(1);
    }

    [Test]
    public async Task WarmUp_and_IsWarm_of_unknown_are_false()
    {
        var runtime = new EdgeRuntime(Node());

        await Assert.That(runtime.WarmUp("nope")).IsFalse();
        await Assert.That(runtime.IsWarm("nope")).IsFalse();
        await Assert.That(runtime.ColdStartCount).IsEqualTo(0);
    }

    [Test]
    public async Task Redeploy_starts_cold_but_counters_carry_on()
    {
        var runtime = new EdgeRuntime(Node());
        runtime.Deploy(Fn("f", (Func<int>)(() => 1)));
        runtime.Invoke<int>("f");
        runtime.Invoke<int>("f");

        runtime.Deploy(Fn("f", (Func<int>)(() => 2)));

        await Assert.That(runtime.IsWarm("f")).IsFalse();
        await Assert.That(runtime.InvocationCount("f")).IsEqualTo(2);
        await Assert.That(runtime.TotalInvocations).IsEqualTo(2);
        await Assert.That(runtime.Invoke<int>("f")).IsEqualTo(2);
        await Assert.That(runtime.ColdStartCount).IsEqualTo(2);
        await Assert.That(runtime.InvocationCount("f")).IsEqualTo(3);
        await Assert.That(runtime.Metrics.TotalInvocations("f")).IsEqualTo(3);
    }

    [Test]
    public async Task Undeploy_then_deploy_keeps_lifetime_counts_and_starts_cold()
    {
        var runtime = new EdgeRuntime(Node());
        runtime.Deploy(Fn("f", (Func<int>)(() => 1)));
        runtime.Invoke<int>("f");
        runtime.Undeploy("f");

        await Assert.That(runtime.IsWarm("f")).IsFalse();
        await Assert.That(runtime.InvocationCount("f")).IsEqualTo(1);

        runtime.Deploy(Fn("f", (Func<int>)(() => 1)));
        await Assert.That(runtime.IsWarm("f")).IsFalse();
        runtime.Invoke<int>("f");
        await Assert.That(runtime.InvocationCount("f")).IsEqualTo(2);
        await Assert.That(runtime.ColdStartCount).IsEqualTo(2);
    }

    [Test]
    public async Task InvocationCount_is_per_function()
    {
        var runtime = new EdgeRuntime(Node());
        runtime.Deploy(Fn("a", (Func<int>)(() => 1)));
        runtime.Deploy(Fn("b", (Func<int>)(() => 1)));

        runtime.Invoke<int>("a");
        runtime.Invoke<int>("a");
        runtime.Invoke<int>("b");

        await Assert.That(runtime.InvocationCount("a")).IsEqualTo(2);
        await Assert.That(runtime.InvocationCount("b")).IsEqualTo(1);
        await Assert.That(runtime.InvocationCount("c")).IsEqualTo(0);
        await Assert.That(runtime.ColdStartCount).IsEqualTo(2);
    }

    [Test]
    public async Task Shared_metrics_see_every_runtime_by_node()
    {
        var metrics = new EdgeMetrics();
        var a = new EdgeRuntime(new EdgeNode("a", "a"), metrics);
        var b = new EdgeRuntime(new EdgeNode("b", "b"), metrics);
        a.Deploy(Fn("f", (Func<int>)(() => 1)));
        b.Deploy(Fn("f", (Func<int>)(() => 1)));

        a.Invoke<int>("f");
        b.Invoke<int>("f");
        b.Invoke<int>("f");

        await Assert.That(metrics.TotalInvocations("f")).IsEqualTo(3);
        await Assert.That(metrics.TotalInvocations(nodeId: "a")).IsEqualTo(1);
        await Assert.That(metrics.TotalInvocations("f", "b")).IsEqualTo(2);
    }

    [Test]
    public async Task InFlight_counts_a_running_invocation()
    {
        var runtime = new EdgeRuntime(Node());
        var release = new TaskCompletionSource<int>();
        runtime.Deploy(Fn("f", (Func<Task<int>>)(() => release.Task)));

        var call = runtime.InvokeAsync<int>("f");
        await Assert.That(runtime.InFlight).IsEqualTo(1);
        release.SetResult(9);

        await Assert.That(await call).IsEqualTo(9);
        await Assert.That(runtime.InFlight).IsEqualTo(0);
        await Assert.That(runtime.RunawayCount).IsEqualTo(0);
    }
}
