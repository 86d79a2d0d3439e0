using Edge.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Runtime.Tests.Functions;

/// <summary>Deadlines on a fake clock: cancelled tokens, abandoned runaways, late sync handlers, caller cancellation.</summary>
public class EdgeRuntimeTimeoutTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(30);

    private static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    private static EdgeRuntime Runtime(FakeTimeProvider time) => new(new EdgeNode("edge-01", "n"), timeProvider: time);

    /// <summary>Waits (bounded) for a condition another thread brings about; not a timing assertion.</summary>
    private static bool Eventually(Func<bool> condition) => SpinWait.SpinUntil(condition, Safety);

    [Test]
    public async Task Async_token_handler_sees_its_token_cancelled_exactly_at_the_deadline()
    {
        var time = Clock();
        var runtime = Runtime(time);
        CancellationToken seen = default;
        var observed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        runtime.Deploy(new EdgeFunction("f", "f", (Func<CancellationToken, Task<int>>)(async ct =>
        {
            seen = ct;
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
                return 1;
            }
            finally
            {
                observed.TrySetResult(ct.IsCancellationRequested);
            }
        }))
        { TimeoutSeconds = 5 });

        var call = runtime.InvokeAsync<int>("f").AsTask();
        time.Advance(TimeSpan.FromMilliseconds(4999));

        await Assert.That(seen.IsCancellationRequested).IsFalse();
        await Assert.That(call.IsCompleted).IsFalse();

        time.Advance(TimeSpan.FromMilliseconds(1));

        await Assert.That(seen.IsCancellationRequested).IsTrue();
        var ex = await Assert.That(async () => await call).Throws<TimeoutException>();
        await Assert.That(ex is EdgeTimeoutException { FunctionId: "f" }).IsTrue();
        await Assert.That(await observed.Task.WaitAsync(Safety)).IsTrue();
        await Assert.That(Eventually(() => runtime.InFlight == 0)).IsTrue();
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(1);
        await Assert.That(runtime.Metrics.SuccessRate("f")).IsEqualTo(0.0);
    }

    [Test]
    public async Task Sync_token_handler_sees_its_token_cancelled_at_the_deadline()
    {
        var time = Clock();
        var runtime = Runtime(time);
        var started = new ManualResetEventSlim();
        CancellationToken seen = default;
        runtime.Deploy(new EdgeFunction("f", "f", (Func<int, CancellationToken, int>)((x, ct) =>
        {
            seen = ct;
            started.Set();
            ct.WaitHandle.WaitOne(Safety);
            ct.ThrowIfCancellationRequested();
            return x;
        }))
        { TimeoutSeconds = 2 });

        var call = Task.Factory.StartNew(() => runtime.Invoke<int, int>("f", 1), TaskCreationOptions.LongRunning);
        await Assert.That(started.Wait(Safety)).IsTrue();
        time.Advance(TimeSpan.FromMilliseconds(1999));
        await Assert.That(seen.IsCancellationRequested).IsFalse();
        time.Advance(TimeSpan.FromMilliseconds(1));
        await Assert.That(seen.IsCancellationRequested).IsTrue();

        await Assert.That(async () => await call).Throws<TimeoutException>();
        await Assert.That(runtime.InFlight).IsEqualTo(0);
        await Assert.That(runtime.RunawayCount).IsEqualTo(0);
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(1);
    }

    [Test]
    public async Task Async_handler_ignoring_the_token_times_out_at_the_deadline_and_holds_its_slot()
    {
        var time = Clock();
        var runtime = Runtime(time);
        var release = new TaskCompletionSource<int>();
        runtime.Deploy(new EdgeFunction("f", "f", (Func<Task<int>>)(() => release.Task)) { TimeoutSeconds = 2 });

        var call = runtime.InvokeAsync<int>("f").AsTask();
        await Assert.That(runtime.InFlight).IsEqualTo(1);
        time.Advance(TimeSpan.FromMilliseconds(1999));
        await Assert.That(call.IsCompleted).IsFalse();

        time.Advance(TimeSpan.FromMilliseconds(1));
        var ex = await Assert.That(async () => await call).Throws<TimeoutException>();

        await Assert.That(((EdgeTimeoutException)ex!).Timeout).IsEqualTo(TimeSpan.FromSeconds(2));
        await Assert.That(runtime.RunawayCount).IsEqualTo(1);
        await Assert.That(runtime.InFlight).IsEqualTo(1);
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(1);
        await Assert.That(runtime.Metrics.SuccessRate()).IsEqualTo(0.0);

        release.SetResult(42);

        await Assert.That(Eventually(() => runtime.InFlight == 0)).IsTrue();
        await Assert.That(runtime.RunawayCount).IsEqualTo(1);
        await Assert.That(runtime.Metrics.TotalInvocations()).IsEqualTo(1);
    }

    [Test]
    public async Task A_runaway_that_fails_later_is_observed_and_releases_its_slot()
    {
        var time = Clock();
        var runtime = Runtime(time);
        var release = new TaskCompletionSource<int>();
        runtime.Deploy(new EdgeFunction("f", "f", (Func<int, ValueTask<int>>)(_ => new ValueTask<int>(release.Task))) { TimeoutSeconds = 1 });

        var call = runtime.InvokeAsync<int, int>("f", 0).AsTask();
        time.Advance(TimeSpan.FromSeconds(1));
        await Assert.That(async () => await call).Throws<TimeoutException>();

        release.SetException(new InvalidOperationException("late"));

        await Assert.That(Eventually(() => runtime.InFlight == 0)).IsTrue();
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(1);
        await Assert.That(runtime.Metrics.TotalInvocations()).IsEqualTo(1);
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

        var call = Task.Factory.StartNew(() => runtime.Invoke<int>("f"), TaskCreationOptions.LongRunning);
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

        var ex = await Assert.That(() => runtime.Invoke<int, int>("f", 5)).Throws<TimeoutException>();

        await Assert.That(ex is EdgeTimeoutException { FunctionId: "f" }).IsTrue();
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(1);
        await Assert.That(runtime.Metrics.SuccessRate("f")).IsEqualTo(0.0);
        await Assert.That(runtime.Metrics.AvgLatencyMs("f")).IsEqualTo(31_000.0);
        await Assert.That(runtime.InFlight).IsEqualTo(0);
        await Assert.That(runtime.RunawayCount).IsEqualTo(0);
    }

    [Test]
    public async Task Sync_handler_that_overruns_is_a_timeout_on_the_async_path_too()
    {
        var time = Clock();
        var runtime = Runtime(time);
        runtime.Deploy(new EdgeFunction("f", "f", (Action<int>)(_ => time.Advance(TimeSpan.FromSeconds(2)))) { TimeoutSeconds = 1 });

        await Assert.That(async () => await runtime.InvokeAsync<int, object>("f", 1)).Throws<TimeoutException>();
        await Assert.That(runtime.Metrics.SuccessRate()).IsEqualTo(0.0);
    }

    [Test]
    public async Task Synchronously_completed_ValueTask_that_overran_is_a_timeout()
    {
        var time = Clock();
        var runtime = Runtime(time);
        runtime.Deploy(new EdgeFunction("f", "f", (Func<ValueTask<int>>)(() =>
        {
            time.Advance(TimeSpan.FromSeconds(10));
            return new ValueTask<int>(1);
        }))
        { TimeoutSeconds = 5 });

        await Assert.That(() => runtime.Invoke<int>("f")).Throws<TimeoutException>();
        await Assert.That(async () => await runtime.InvokeAsync<int>("f")).Throws<TimeoutException>();
        await Assert.That(runtime.Metrics.ErrorCount("edge-01")).IsEqualTo(2);
    }

    [Test]
    public async Task A_handler_inside_its_budget_succeeds()
    {
        var time = Clock();
        var runtime = Runtime(time);
        runtime.Deploy(new EdgeFunction("f", "f", (Func<int, CancellationToken, int>)((x, ct) =>
        {
            time.Advance(TimeSpan.FromSeconds(29));
            return ct.IsCancellationRequested ? -1 : x;
        })));

        await Assert.That(runtime.Invoke<int, int>("f", 8)).IsEqualTo(8);
        await Assert.That(runtime.Metrics.SuccessRate()).IsEqualTo(100.0);
        await Assert.That(runtime.Metrics.AvgLatencyMs()).IsEqualTo(29_000.0);
    }

    [Test]
    public async Task Deadline_sources_are_reused_after_a_timeout()
    {
        var time = Clock();
        var runtime = Runtime(time);
        var calls = 0;
        runtime.Deploy(new EdgeFunction("f", "f", (Func<CancellationToken, int>)(ct =>
        {
            if (++calls == 1)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                ct.ThrowIfCancellationRequested();
            }

            return ct.IsCancellationRequested ? -1 : calls;
        }))
        { TimeoutSeconds = 1 });

        await Assert.That(() => runtime.Invoke<int>("f")).Throws<TimeoutException>();

        // A fired source must not be handed to the next invocation.
        await Assert.That(runtime.Invoke<int>("f")).IsEqualTo(2);
        await Assert.That(runtime.Invoke<int>("f")).IsEqualTo(3);
    }

    [Test]
    public async Task A_reused_deadline_source_is_rearmed_from_the_new_start()
    {
        var time = Clock();
        var runtime = Runtime(time);
        var step = TimeSpan.Zero;
        runtime.Deploy(new EdgeFunction("f", "f", (Func<CancellationToken, bool>)(ct =>
        {
            time.Advance(step);
            return ct.IsCancellationRequested;
        }))
        { TimeoutSeconds = 30 });

        await Assert.That(runtime.Invoke<bool>("f")).IsFalse();
        time.Advance(TimeSpan.FromSeconds(25));
        step = TimeSpan.FromSeconds(10);

        // 35 s after the first call's start, but only 10 s into this one: the old deadline must not fire.
        await Assert.That(runtime.Invoke<bool>("f")).IsFalse();
        await Assert.That(runtime.Metrics.SuccessRate()).IsEqualTo(100.0);
    }

    [Test]
    public async Task Caller_cancellation_before_the_call_throws_and_runs_nothing()
    {
        var runtime = Runtime(Clock());
        var ran = false;
        runtime.Deploy(new EdgeFunction("f", "f", (Func<int>)(() =>
        {
            ran = true;
            return 1;
        })));

        await Assert.That(async () => await runtime.InvokeAsync<int>("f", new CancellationToken(true))).Throws<OperationCanceledException>();
        await Assert.That(ran).IsFalse();
        await Assert.That(runtime.TotalInvocations).IsEqualTo(0);
    }

    [Test]
    public async Task Caller_cancellation_of_a_handler_ignoring_the_token_throws_and_holds_the_slot()
    {
        var time = Clock();
        var runtime = Runtime(time);
        var release = new TaskCompletionSource<int>();
        runtime.Deploy(new EdgeFunction("f", "f", (Func<int, Task<int>>)(_ => release.Task)));
        using var cts = new CancellationTokenSource();

        var call = runtime.InvokeAsync<int, int>("f", 1, cts.Token).AsTask();
        await Assert.That(call.IsCompleted).IsFalse();
        await cts.CancelAsync();

        await Assert.That(async () => await call).Throws<OperationCanceledException>();
        await Assert.That(runtime.InFlight).IsEqualTo(1);
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(1);

        release.SetResult(1);
        await Assert.That(Eventually(() => runtime.InFlight == 0)).IsTrue();
    }

    [Test]
    public async Task Caller_cancellation_reaches_a_token_taking_handler()
    {
        var time = Clock();
        var runtime = Runtime(time);
        var observed = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        runtime.Deploy(new EdgeFunction("f", "f", (Func<int, CancellationToken, Task<int>>)(async (x, ct) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
                return x;
            }
            finally
            {
                observed.TrySetResult(ct.IsCancellationRequested);
            }
        })));
        using var cts = new CancellationTokenSource();

        var call = runtime.InvokeAsync<int, int>("f", 1, cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.That(async () => await call).Throws<OperationCanceledException>();
        await Assert.That(await observed.Task.WaitAsync(Safety)).IsTrue();
        await Assert.That(Eventually(() => runtime.InFlight == 0)).IsTrue();
        await Assert.That(runtime.Metrics.SuccessRate()).IsEqualTo(0.0);
    }

    [Test]
    public async Task Repeated_caller_cancellations_never_fail_the_callers_cancel_and_free_every_slot()
    {
        var runtime = Runtime(Clock());
        runtime.Deploy(new EdgeFunction("f", "f", (Func<int, CancellationToken, Task<int>>)(async (x, ct) =>
        {
            await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            return x;
        })));
        var cancelFailures = 0;
        var wrongOutcomes = 0;

        for (var i = 0; i < 300; i++)
        {
            using var cts = new CancellationTokenSource();
            var call = runtime.InvokeAsync<int, int>("f", i, cts.Token).AsTask();
            var canceller = Task.Run(() =>
            {
                try
                {
                    cts.Cancel();
                }
                catch (Exception)
                {
                    Interlocked.Increment(ref cancelFailures);
                }
            });
            try
            {
                await call;
                wrongOutcomes++;
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception)
            {
                wrongOutcomes++;
            }

            await canceller;
        }

        await Assert.That(cancelFailures).IsEqualTo(0);
        await Assert.That(wrongOutcomes).IsEqualTo(0);
        await Assert.That(Eventually(() => runtime.InFlight == 0)).IsTrue();
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(300);
    }

    [Test]
    public async Task Timeouts_on_several_functions_are_independent()
    {
        var time = Clock();
        var runtime = Runtime(time);
        var slow = new TaskCompletionSource<int>();
        var fast = new TaskCompletionSource<int>();
        runtime.Deploy(new EdgeFunction("short", "s", (Func<Task<int>>)(() => slow.Task)) { TimeoutSeconds = 1 });
        runtime.Deploy(new EdgeFunction("long", "l", (Func<Task<int>>)(() => fast.Task)) { TimeoutSeconds = 10 });

        var a = runtime.InvokeAsync<int>("short").AsTask();
        var b = runtime.InvokeAsync<int>("long").AsTask();
        time.Advance(TimeSpan.FromSeconds(1));
        await Assert.That(async () => await a).Throws<TimeoutException>();
        await Assert.That(b.IsCompleted).IsFalse();
        fast.SetResult(3);

        await Assert.That(await b).IsEqualTo(3);
        await Assert.That(runtime.Metrics.SuccessRate("long")).IsEqualTo(100.0);
        await Assert.That(runtime.Metrics.SuccessRate("short")).IsEqualTo(0.0);
        slow.SetResult(0);
    }
}
