using System.Buffers;
using Edge.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace Edge.Runtime.Tests.Functions;

/// <summary>
/// A caller that goes away is a cancellation, not a runaway: only a handler still running at its deadline, not having
/// honoured cancellation, is a runaway. All on a fake clock.
/// </summary>
public class EdgeRuntimeCancellationTests
{
    private static readonly TimeSpan Safety = TimeSpan.FromSeconds(30);

    private static FakeTimeProvider Clock() => new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    private static EdgeRuntime Runtime(FakeTimeProvider time) => new(new EdgeNode("edge-01", "n"), timeProvider: time);

    /// <summary>Waits (bounded) for a condition another thread brings about; not a timing assertion.</summary>
    private static bool Eventually(Func<bool> condition) => SpinWait.SpinUntil(condition, Safety);

    /// <summary>The host's cooperative sleep: waits on the runtime's clock, honouring its token.</summary>
    private static EdgeFunction Sleep(FakeTimeProvider time, int timeoutSeconds = 30) =>
        new("sleep", "sleep", (Func<int, CancellationToken, Task<int>>)(async (ms, ct) =>
        {
            await Task.Delay(TimeSpan.FromMilliseconds(ms), time, ct).ConfigureAwait(false);
            return ms;
        }))
        { TimeoutSeconds = timeoutSeconds };

    [Test]
    public async Task A_hundred_caller_cancellations_of_a_cooperative_sleep_are_cancellations_not_runaways()
    {
        var time = Clock();
        var runtime = Runtime(time);
        runtime.Deploy(Sleep(time));
        var wrongOutcomes = 0;

        for (var i = 0; i < 100; i++)
        {
            using var cts = new CancellationTokenSource();
            var call = runtime.InvokeAsync<int, int>("sleep", 10_000, cts.Token).AsTask();
            await Assert.That(call.IsCompleted).IsFalse();

            // Half cancelled on this thread, half from another one: the runtime sees the cancellation both before and
            // after the handler has ended on it.
            if (i % 2 == 0)
            {
                await cts.CancelAsync();
            }
            else
            {
                await Task.Run(cts.Cancel);
            }

            try
            {
                await call;
                wrongOutcomes++;
            }
            catch (OperationCanceledException)
            {
            }
        }

        await Assert.That(wrongOutcomes).IsEqualTo(0);
        await Assert.That(Eventually(() => runtime.InFlight == 0)).IsTrue();
        await Assert.That(runtime.CancelledCount).IsEqualTo(100);
        await Assert.That(runtime.RunawayCount).IsEqualTo(0);

        // Their deadlines passing later changes nothing: every one of them ended on the cancellation.
        time.Advance(TimeSpan.FromSeconds(31));
        await Assert.That(runtime.RunawayCount).IsEqualTo(0);
        await Assert.That(runtime.CancelledCount).IsEqualTo(100);

        // Recorded as before: each one a failed invocation.
        await Assert.That(runtime.TotalInvocations).IsEqualTo(100);
        await Assert.That(runtime.Metrics.TotalInvocations("sleep")).IsEqualTo(100);
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(100);
        await Assert.That(runtime.Metrics.SuccessRate("sleep")).IsEqualTo(0.0);
    }

    [Test]
    public async Task A_handler_ignoring_its_deadline_is_one_runaway_and_no_cancellation()
    {
        var time = Clock();
        var runtime = Runtime(time);
        var release = new TaskCompletionSource<int>();
        runtime.Deploy(new EdgeFunction("stuck", "stuck", (Func<CancellationToken, Task<int>>)(_ => release.Task)) { TimeoutSeconds = 2 });
        using var cts = new CancellationTokenSource();

        var call = runtime.InvokeAsync<int>("stuck", cts.Token).AsTask();
        time.Advance(TimeSpan.FromSeconds(2));

        await Assert.That(async () => await call).Throws<TimeoutException>();
        await Assert.That(runtime.RunawayCount).IsEqualTo(1);
        await Assert.That(runtime.CancelledCount).IsEqualTo(0);
        await Assert.That(runtime.InFlight).IsEqualTo(1);

        // The caller's token firing after the timeout is no cancellation of the invocation: it already ended.
        await cts.CancelAsync();
        release.SetResult(1);

        await Assert.That(Eventually(() => runtime.InFlight == 0)).IsTrue();
        await Assert.That(runtime.RunawayCount).IsEqualTo(1);
        await Assert.That(runtime.CancelledCount).IsEqualTo(0);
    }

    [Test]
    public async Task A_cancelled_handler_ignoring_the_token_holds_its_slot_and_becomes_a_runaway_only_at_its_deadline()
    {
        var time = Clock();
        var runtime = Runtime(time);
        var release = new TaskCompletionSource<int>();
        runtime.Deploy(new EdgeFunction("stuck", "stuck", (Func<CancellationToken, Task<int>>)(_ => release.Task)) { TimeoutSeconds = 5 });
        using var cts = new CancellationTokenSource();

        var call = runtime.InvokeAsync<int>("stuck", cts.Token).AsTask();
        time.Advance(TimeSpan.FromSeconds(1));
        await cts.CancelAsync();

        await Assert.That(async () => await call).Throws<OperationCanceledException>();
        await Assert.That(runtime.CancelledCount).IsEqualTo(1);
        await Assert.That(runtime.RunawayCount).IsEqualTo(0);
        await Assert.That(runtime.InFlight).IsEqualTo(1);

        time.Advance(TimeSpan.FromMilliseconds(3999));
        await Assert.That(runtime.RunawayCount).IsEqualTo(0);

        // Its deadline (5 s after the start) passes with it still running: it ignored the cancellation and overran too.
        time.Advance(TimeSpan.FromMilliseconds(1));
        await Assert.That(Eventually(() => runtime.RunawayCount == 1)).IsTrue();
        await Assert.That(runtime.InFlight).IsEqualTo(1);

        release.SetResult(1);

        await Assert.That(Eventually(() => runtime.InFlight == 0)).IsTrue();
        await Assert.That(runtime.CancelledCount).IsEqualTo(1);
        await Assert.That(runtime.RunawayCount).IsEqualTo(1);
        await Assert.That(runtime.Metrics.TotalInvocations()).IsEqualTo(1);
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(1);
    }

    [Test]
    public async Task A_cancelled_handler_ignoring_the_token_that_ends_before_its_deadline_is_never_a_runaway()
    {
        var time = Clock();
        var runtime = Runtime(time);
        var release = new TaskCompletionSource<int>();
        runtime.Deploy(new EdgeFunction("stuck", "stuck", (Func<int, Task<int>>)(_ => release.Task)) { TimeoutSeconds = 5 });
        using var cts = new CancellationTokenSource();

        var call = runtime.InvokeAsync<int, int>("stuck", 1, cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.That(async () => await call).Throws<OperationCanceledException>();
        await Assert.That(runtime.InFlight).IsEqualTo(1);

        time.Advance(TimeSpan.FromSeconds(4));
        release.SetException(new InvalidOperationException("late"));
        await Assert.That(Eventually(() => runtime.InFlight == 0)).IsTrue();
        time.Advance(TimeSpan.FromSeconds(10));

        await Assert.That(runtime.CancelledCount).IsEqualTo(1);
        await Assert.That(runtime.RunawayCount).IsEqualTo(0);
        await Assert.That(runtime.Metrics.ErrorCount()).IsEqualTo(1);
    }

    [Test]
    public async Task A_call_cancelled_before_it_starts_is_not_an_invocation_and_not_counted()
    {
        var time = Clock();
        var runtime = Runtime(time);
        runtime.Deploy(Sleep(time));

        await Assert.That(async () => await runtime.InvokeAsync<int, int>("sleep", 1, new CancellationToken(true))).Throws<OperationCanceledException>();

        await Assert.That(runtime.CancelledCount).IsEqualTo(0);
        await Assert.That(runtime.TotalInvocations).IsEqualTo(0);
        await Assert.That(runtime.Metrics.TotalInvocations()).IsEqualTo(0);
    }

    [Test]
    public async Task A_json_call_whose_caller_cancels_is_a_cancellation()
    {
        var time = Clock();
        var runtime = Runtime(time);
        runtime.Deploy(new EdgeFunction("sleep", "sleep", (Func<int>)(() => 0))
        {
            JsonHandler = async (_, result, ct) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(10), time, ct).ConfigureAwait(false);
                result.Write("1"u8);
            },
        });
        using var cts = new CancellationTokenSource();
        var output = new ArrayBufferWriter<byte>();

        var call = runtime.InvokeJsonAsync("sleep", "{}"u8.ToArray(), output, cts.Token).AsTask();
        await cts.CancelAsync();

        await Assert.That(async () => await call).Throws<OperationCanceledException>();
        await Assert.That(Eventually(() => runtime.InFlight == 0)).IsTrue();
        await Assert.That(runtime.CancelledCount).IsEqualTo(1);
        await Assert.That(runtime.RunawayCount).IsEqualTo(0);
        await Assert.That(output.WrittenCount).IsEqualTo(0);
    }
}
