using Edge.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Runtime.Tests.Functions;

/// <summary>Resolved handles: errors at resolution, redeploy/undeploy/new shapes seen on the next call, every arity.</summary>
public class FunctionHandleTests
{
    private static EdgeRuntime Runtime() => new(new EdgeNode("edge-01", "n"));

    private static EdgeFunction Add(Func<int, int, int> handler) => new("add", "add", handler);

    [Test]
    public async Task A_handle_calls_the_function_and_is_counted_like_invoke_by_id()
    {
        var runtime = Runtime();
        runtime.Deploy(Add(static (a, b) => a + b));

        var add = runtime.Resolve<int, int, int>("add");

        await Assert.That(add.FunctionId).IsEqualTo("add");
        await Assert.That(add.Runtime).IsSameReferenceAs(runtime);
        await Assert.That(add.Invoke(2, 40)).IsEqualTo(42);
        await Assert.That(await add.InvokeAsync(1, 2)).IsEqualTo(3);
        await Assert.That(runtime.Invoke<int, int, int>("add", 3, 4)).IsEqualTo(7);
        await Assert.That(runtime.InvocationCount("add")).IsEqualTo(3);
        await Assert.That(runtime.TotalInvocations).IsEqualTo(3);
        await Assert.That(runtime.Metrics.TotalInvocations("add", "edge-01")).IsEqualTo(3);
        await Assert.That(runtime.ColdStartCount).IsEqualTo(1);
        await Assert.That(runtime.InFlight).IsEqualTo(0);
    }

    [Test]
    public async Task Resolving_an_unknown_id_is_function_not_found()
    {
        var runtime = Runtime();

        var ex = await Assert.That(() => runtime.Resolve<int, int, int>("nope")).Throws<EdgeFunctionNotFoundException>();

        await Assert.That(ex!.Message).IsEqualTo("Function not found: nope");
        await Assert.That(ex.FunctionId).IsEqualTo("nope");
        await Assert.That(() => runtime.Resolve<int>(null!)).Throws<ArgumentNullException>();
    }

    [Test]
    public async Task Resolving_with_the_wrong_types_fails_at_resolution_with_the_invoke_by_id_message()
    {
        var runtime = Runtime();
        runtime.Deploy(Add(static (a, b) => a + b));

        var byId = await Assert.That(() => runtime.Invoke<string, int>("add", "x")).Throws<ArgumentException>();
        var resolved = await Assert.That(() => runtime.Resolve<string, int>("add")).Throws<ArgumentException>();

        await Assert.That(resolved!.Message).IsEqualTo(byId!.Message);
        await Assert.That(resolved.Message).Contains("Func<Int32, Int32, Int32>");
        await Assert.That(resolved.Message).Contains("Invoke<String, Int32>");
        await Assert.That(resolved is EdgeFunctionNotFoundException).IsFalse();
        await Assert.That(runtime.InvocationCount("add")).IsEqualTo(0);
    }

    [Test]
    public async Task After_a_redeploy_with_the_same_signature_the_handle_calls_the_new_handler()
    {
        var runtime = Runtime();
        runtime.Deploy(Add(static (a, b) => a + b));
        var add = runtime.Resolve<int, int, int>("add");
        await Assert.That(add.Invoke(2, 3)).IsEqualTo(5);

        runtime.Deploy(Add(static (a, b) => a * b));

        await Assert.That(add.Invoke(2, 3)).IsEqualTo(6);
        await Assert.That(await add.InvokeAsync(4, 5)).IsEqualTo(20);
        await Assert.That(runtime.IsWarm("add")).IsTrue();
        await Assert.That(runtime.ColdStartCount).IsEqualTo(2);
        await Assert.That(runtime.InvocationCount("add")).IsEqualTo(3);
    }

    [Test]
    public async Task After_an_undeploy_the_next_call_is_function_not_found_and_a_later_deploy_is_called_again()
    {
        var runtime = Runtime();
        runtime.Deploy(Add(static (a, b) => a + b));
        var add = runtime.Resolve<int, int, int>("add");
        await Assert.That(add.Invoke(1, 1)).IsEqualTo(2);

        await Assert.That(runtime.Undeploy("add")).IsTrue();

        var sync = await Assert.That(() => add.Invoke(1, 1)).Throws<EdgeFunctionNotFoundException>();
        var async = await Assert.That(async () => await add.InvokeAsync(1, 1)).Throws<EdgeFunctionNotFoundException>();
        var byId = await Assert.That(() => runtime.Invoke<int, int, int>("add", 1, 1)).Throws<EdgeFunctionNotFoundException>();
        await Assert.That(sync!.Message).IsEqualTo("Function not found: add");
        await Assert.That(async!.Message).IsEqualTo(byId!.Message);
        await Assert.That(runtime.InvocationCount("add")).IsEqualTo(1);
        await Assert.That(runtime.InFlight).IsEqualTo(0);

        runtime.Deploy(Add(static (a, b) => a - b));

        await Assert.That(add.Invoke(5, 1)).IsEqualTo(4);
    }

    [Test]
    public async Task After_a_redeploy_with_another_signature_the_next_call_throws_the_mismatch_error()
    {
        var runtime = Runtime();
        runtime.Deploy(Add(static (a, b) => a + b));
        var add = runtime.Resolve<int, int, int>("add");
        await Assert.That(add.Invoke(1, 2)).IsEqualTo(3);

        runtime.Deploy(new EdgeFunction("add", "add", (Func<long, long, long>)(static (a, b) => a + b)));

        var byHandle = await Assert.That(() => add.Invoke(1, 2)).Throws<ArgumentException>();
        var byId = await Assert.That(() => runtime.Invoke<int, int, int>("add", 1, 2)).Throws<ArgumentException>();
        await Assert.That(byHandle!.Message).IsEqualTo(byId!.Message);
        await Assert.That(byHandle.Message).Contains("Func<Int64, Int64, Int64>");
        await Assert.That(async () => await add.InvokeAsync(1, 2)).Throws<ArgumentException>();
        await Assert.That(runtime.InvocationCount("add")).IsEqualTo(1);
        await Assert.That(runtime.InFlight).IsEqualTo(0);

        // Back to the shape it was resolved for: it works again.
        runtime.Deploy(Add(static (a, b) => a + b + 100));
        await Assert.That(add.Invoke(1, 2)).IsEqualTo(103);
    }

    [Test]
    public async Task Handles_at_every_arity_and_shape()
    {
        var runtime = Runtime();
        runtime.Deploy(new EdgeFunction("f0", "f0", (Func<int>)(static () => 7)));
        runtime.Deploy(new EdgeFunction("f1", "f1", (Func<int, ValueTask<int>>)(static async a => { await Task.Yield(); return a * 10; })));
        runtime.Deploy(new EdgeFunction("f2", "f2", (Func<int, string, CancellationToken, int>)(static (a, b, ct) => a + b.Length)));
        runtime.Deploy(new EdgeFunction("f3", "f3", (Func<int, int, int, Task<int>>)(static (a, b, c) => Task.FromResult(a + b + c))));
        var sink = 0;
        runtime.Deploy(new EdgeFunction("f4", "f4", (Action<int, int, int, int>)((a, b, c, d) => sink = a * b * c * d)));

        await Assert.That(runtime.Resolve<int>("f0").Invoke()).IsEqualTo(7);
        await Assert.That(await runtime.Resolve<int>("f0").InvokeAsync()).IsEqualTo(7);
        await Assert.That(runtime.Resolve<int, int>("f1").Invoke(4)).IsEqualTo(40);
        await Assert.That(await runtime.Resolve<int, int>("f1").InvokeAsync(5)).IsEqualTo(50);
        await Assert.That(runtime.Resolve<int, string, int>("f2").Invoke(1, "abc")).IsEqualTo(4);
        await Assert.That(runtime.Resolve<int, int, int, int>("f3").Invoke(1, 2, 3)).IsEqualTo(6);
        await Assert.That(await runtime.Resolve<int, int, int, int>("f3").InvokeAsync(1, 2, 4)).IsEqualTo(7);
        runtime.Resolve<int, int, int, int, object>("f4").Invoke(1, 2, 3, 4);
        await Assert.That(sink).IsEqualTo(24);
        await runtime.Resolve<int, int, int, int, object>("f4").InvokeAsync(2, 2, 2, 2);
        await Assert.That(sink).IsEqualTo(16);
        await Assert.That(runtime.InFlight).IsEqualTo(0);
    }

    [Test]
    public async Task A_handle_passes_on_failures_as_invoke_by_id_does()
    {
        var runtime = Runtime();
        runtime.Deploy(new EdgeFunction("boom", "boom", (Func<int, int>)(static _ => throw new InvalidOperationException("bad"))));
        runtime.Deploy(new EdgeFunction("refuse", "refuse", (Func<int, int>)(static _ => throw new EdgeBindingException("refuse", "x", "no"))));

        var boom = await Assert.That(() => runtime.Resolve<int, int>("boom").Invoke(1)).Throws<EdgeExecutionException>();
        await Assert.That(boom!.InnerException is InvalidOperationException).IsTrue();
        await Assert.That(async () => await runtime.Resolve<int, int>("refuse").InvokeAsync(1)).Throws<EdgeBindingException>();
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(2);
    }

    [Test]
    public async Task Concurrent_calls_through_one_handle_across_redeploys_are_all_counted()
    {
        var runtime = Runtime();
        runtime.Deploy(Add(static (a, b) => a + b));
        var add = runtime.Resolve<int, int, int>("add");
        const int Threads = 4, Calls = 5000;

        var workers = Enumerable.Range(0, Threads).Select(_ => Task.Run(() =>
        {
            var wrong = 0;
            for (var i = 0; i < Calls; i++)
            {
                wrong += add.Invoke(i, 1) == i + 1 ? 0 : 1;
            }

            return wrong;
        })).ToArray();
        for (var i = 0; i < 20; i++)
        {
            runtime.Deploy(Add(static (a, b) => a + b));
        }

        var wrongs = await Task.WhenAll(workers);

        await Assert.That(wrongs.Sum()).IsEqualTo(0);
        await Assert.That(runtime.InvocationCount("add")).IsEqualTo(Threads * Calls);
        await Assert.That(runtime.Metrics.TotalInvocations("add")).IsEqualTo(Threads * Calls);
        await Assert.That(runtime.InFlight).IsEqualTo(0);
    }
}

/// <summary>The deadline, runaway and cancellation rules of invoke-by-id, through handles (fake clock).</summary>
public class FunctionHandleTimeoutTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(30);

    private static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    private static EdgeRuntime Runtime(FakeTimeProvider time) => new(new EdgeNode("edge-01", "n"), timeProvider: time);

    private static bool Eventually(Func<bool> condition) => SpinWait.SpinUntil(condition, Safety);

    [Test]
    public async Task Async_handler_ignoring_the_token_times_out_at_the_deadline_and_holds_its_slot()
    {
        var time = Clock();
        var runtime = Runtime(time);
        var release = new TaskCompletionSource<int>();
        runtime.Deploy(new EdgeFunction("f", "f", (Func<Task<int>>)(() => release.Task)) { TimeoutSeconds = 2 });
        var f = runtime.Resolve<int>("f");

        var call = f.InvokeAsync().AsTask();
        await Assert.That(runtime.InFlight).IsEqualTo(1);
        time.Advance(TimeSpan.FromMilliseconds(1999));
        await Assert.That(call.IsCompleted).IsFalse();

        time.Advance(TimeSpan.FromMilliseconds(1));
        var ex = await Assert.That(async () => await call).Throws<TimeoutException>();

        await Assert.That(((EdgeTimeoutException)ex!).Timeout).IsEqualTo(TimeSpan.FromSeconds(2));
        await Assert.That(runtime.RunawayCount).IsEqualTo(1);
        await Assert.That(runtime.CancelledCount).IsEqualTo(0);
        await Assert.That(runtime.InFlight).IsEqualTo(1);
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(1);

        release.SetResult(42);

        await Assert.That(Eventually(() => runtime.InFlight == 0)).IsTrue();
        await Assert.That(runtime.RunawayCount).IsEqualTo(1);
        await Assert.That(runtime.Metrics.TotalInvocations()).IsEqualTo(1);
    }

    [Test]
    public async Task Async_token_handler_sees_its_token_cancelled_exactly_at_the_deadline()
    {
        var time = Clock();
        var runtime = Runtime(time);
        CancellationToken seen = default;
        runtime.Deploy(new EdgeFunction("f", "f", (Func<int, CancellationToken, Task<int>>)(async (x, ct) =>
        {
            seen = ct;
            await Task.Delay(Timeout.Infinite, ct);
            return x;
        }))
        { TimeoutSeconds = 5 });
        var f = runtime.Resolve<int, int>("f");

        var call = f.InvokeAsync(1).AsTask();
        time.Advance(TimeSpan.FromMilliseconds(4999));
        await Assert.That(seen.IsCancellationRequested).IsFalse();
        time.Advance(TimeSpan.FromMilliseconds(1));

        await Assert.That(seen.IsCancellationRequested).IsTrue();
        await Assert.That(async () => await call).Throws<EdgeTimeoutException>();
        await Assert.That(Eventually(() => runtime.InFlight == 0)).IsTrue();
        await Assert.That(runtime.Metrics.SuccessRate("f")).IsEqualTo(0.0);
    }

    [Test]
    public async Task Sync_invoke_of_an_async_handler_ignoring_the_token_times_out()
    {
        var time = Clock();
        var runtime = Runtime(time);
        var release = new TaskCompletionSource<int>();
        var started = new ManualResetEventSlim();
        runtime.Deploy(new EdgeFunction("f", "f", (Func<Task<int>>)(() =>
        {
            started.Set();
            return release.Task;
        }))
        { TimeoutSeconds = 3 });
        var f = runtime.Resolve<int>("f");

        var call = Task.Factory.StartNew(() => f.Invoke(), TaskCreationOptions.LongRunning);
        await Assert.That(started.Wait(Safety)).IsTrue();
        time.Advance(TimeSpan.FromSeconds(3));

        await Assert.That(async () => await call).Throws<TimeoutException>();
        await Assert.That(runtime.RunawayCount).IsEqualTo(1);
        await Assert.That(runtime.InFlight).IsEqualTo(1);
        release.SetResult(1);
        await Assert.That(Eventually(() => runtime.InFlight == 0)).IsTrue();
    }

    [Test]
    public async Task Sync_handler_that_overruns_is_a_timeout_never_a_success()
    {
        var time = Clock();
        var runtime = Runtime(time);
        runtime.Deploy(new EdgeFunction("f", "f", (Func<int, int>)(x =>
        {
            time.Advance(TimeSpan.FromSeconds(31));
            return x;
        })));
        var f = runtime.Resolve<int, int>("f");

        var ex = await Assert.That(() => f.Invoke(5)).Throws<TimeoutException>();

        await Assert.That(ex is EdgeTimeoutException { FunctionId: "f" }).IsTrue();
        await Assert.That(runtime.Metrics.SuccessRate("f")).IsEqualTo(0.0);
        await Assert.That(runtime.Metrics.AvgLatencyMs("f")).IsEqualTo(31_000.0);
        await Assert.That(runtime.InFlight).IsEqualTo(0);
        await Assert.That(runtime.RunawayCount).IsEqualTo(0);
    }

    [Test]
    public async Task A_cancelled_handler_ignoring_the_token_holds_its_slot_and_becomes_a_runaway_only_at_its_deadline()
    {
        var time = Clock();
        var runtime = Runtime(time);
        var release = new TaskCompletionSource<int>();
        runtime.Deploy(new EdgeFunction("stuck", "stuck", (Func<CancellationToken, Task<int>>)(_ => release.Task)) { TimeoutSeconds = 5 });
        var stuck = runtime.Resolve<int>("stuck");
        using var cts = new CancellationTokenSource();

        var call = stuck.InvokeAsync(cts.Token).AsTask();
        time.Advance(TimeSpan.FromSeconds(1));
        await cts.CancelAsync();

        await Assert.That(async () => await call).Throws<OperationCanceledException>();
        await Assert.That(runtime.CancelledCount).IsEqualTo(1);
        await Assert.That(runtime.RunawayCount).IsEqualTo(0);
        await Assert.That(runtime.InFlight).IsEqualTo(1);

        time.Advance(TimeSpan.FromMilliseconds(3999));
        await Assert.That(runtime.RunawayCount).IsEqualTo(0);
        time.Advance(TimeSpan.FromMilliseconds(1));
        await Assert.That(Eventually(() => runtime.RunawayCount == 1)).IsTrue();

        release.SetResult(1);

        await Assert.That(Eventually(() => runtime.InFlight == 0)).IsTrue();
        await Assert.That(runtime.CancelledCount).IsEqualTo(1);
        await Assert.That(runtime.RunawayCount).IsEqualTo(1);
        await Assert.That(runtime.Metrics.TotalInvocations()).IsEqualTo(1);
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(1);
    }

    [Test]
    public async Task A_call_cancelled_before_it_starts_is_not_an_invocation()
    {
        var time = Clock();
        var runtime = Runtime(time);
        var ran = 0;
        runtime.Deploy(new EdgeFunction("f", "f", (Func<int, CancellationToken, int>)((x, _) => ran += x)));
        var f = runtime.Resolve<int, int>("f");
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.That(async () => await f.InvokeAsync(1, cts.Token)).Throws<OperationCanceledException>();

        await Assert.That(ran).IsEqualTo(0);
        await Assert.That(runtime.CancelledCount).IsEqualTo(0);
        await Assert.That(runtime.InvocationCount("f")).IsEqualTo(0);
        await Assert.That(runtime.Metrics.TotalInvocations()).IsEqualTo(0);
    }
}
