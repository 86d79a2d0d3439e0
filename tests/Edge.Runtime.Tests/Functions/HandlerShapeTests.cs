using System.Runtime.CompilerServices;
using Edge.Runtime;

namespace Edge.Runtime.Tests.Functions;

/// <summary>Every supported handler shape (sync, ValueTask, Task, void, with and without a token) at every arity 0-4.</summary>
public class HandlerShapeTests
{
    /// <summary>One handler shape; <see cref="Sink"/> receives the computed value of a void handler.</summary>
    public sealed record ShapeCase(string Shape, Delegate Handler, StrongBox<object?>? Sink)
    {
        public override string ToString() => Shape;
    }

    public static IEnumerable<Func<ShapeCase>> Arity0() => Shapes<int>(
        core => (Func<int>)(() => core()),
        core => (Func<CancellationToken, int>)(ct => Token(ct, core())),
        core => (Func<ValueTask<int>>)(async () => { await Task.Yield(); return core(); }),
        core => (Func<CancellationToken, ValueTask<int>>)(async ct => { await Task.Yield(); return Token(ct, core()); }),
        core => (Func<Task<int>>)(async () => { await Task.Yield(); return core(); }),
        core => (Func<CancellationToken, Task<int>>)(async ct => { await Task.Yield(); return Token(ct, core()); }),
        (core, sink) => (Action)(() => sink.Value = core()),
        (core, sink) => (Action<CancellationToken>)(ct => sink.Value = Token(ct, core())),
        (core, sink) => (Func<ValueTask>)(async () => { await Task.Yield(); sink.Value = core(); }),
        (core, sink) => (Func<CancellationToken, ValueTask>)(async ct => { await Task.Yield(); sink.Value = Token(ct, core()); }),
        (core, sink) => (Func<Task>)(async () => { await Task.Yield(); sink.Value = core(); }),
        (core, sink) => (Func<CancellationToken, Task>)(async ct => { await Task.Yield(); sink.Value = Token(ct, core()); }),
        () => 7);

    public static IEnumerable<Func<ShapeCase>> Arity1()
    {
        static int Core(int a) => a * 10;
        return Cases(
            new Func<int, int>(Core),
            new Func<int, CancellationToken, int>((a, ct) => Token(ct, Core(a))),
            new Func<int, ValueTask<int>>(async a => { await Task.Yield(); return Core(a); }),
            new Func<int, CancellationToken, ValueTask<int>>(async (a, ct) => { await Task.Yield(); return Token(ct, Core(a)); }),
            new Func<int, Task<int>>(async a => { await Task.Yield(); return Core(a); }),
            new Func<int, CancellationToken, Task<int>>(async (a, ct) => { await Task.Yield(); return Token(ct, Core(a)); }),
            sink => new Action<int>(a => sink.Value = Core(a)),
            sink => new Action<int, CancellationToken>((a, ct) => sink.Value = Token(ct, Core(a))),
            sink => new Func<int, ValueTask>(async a => { await Task.Yield(); sink.Value = Core(a); }),
            sink => new Func<int, CancellationToken, ValueTask>(async (a, ct) => { await Task.Yield(); sink.Value = Token(ct, Core(a)); }),
            sink => new Func<int, Task>(async a => { await Task.Yield(); sink.Value = Core(a); }),
            sink => new Func<int, CancellationToken, Task>(async (a, ct) => { await Task.Yield(); sink.Value = Token(ct, Core(a)); }));
    }

    public static IEnumerable<Func<ShapeCase>> Arity2()
    {
        static int Core(int a, string b) => a + b.Length;
        return Cases(
            new Func<int, string, int>(Core),
            new Func<int, string, CancellationToken, int>((a, b, ct) => Token(ct, Core(a, b))),
            new Func<int, string, ValueTask<int>>(async (a, b) => { await Task.Yield(); return Core(a, b); }),
            new Func<int, string, CancellationToken, ValueTask<int>>(async (a, b, ct) => { await Task.Yield(); return Token(ct, Core(a, b)); }),
            new Func<int, string, Task<int>>(async (a, b) => { await Task.Yield(); return Core(a, b); }),
            new Func<int, string, CancellationToken, Task<int>>(async (a, b, ct) => { await Task.Yield(); return Token(ct, Core(a, b)); }),
            sink => new Action<int, string>((a, b) => sink.Value = Core(a, b)),
            sink => new Action<int, string, CancellationToken>((a, b, ct) => sink.Value = Token(ct, Core(a, b))),
            sink => new Func<int, string, ValueTask>(async (a, b) => { await Task.Yield(); sink.Value = Core(a, b); }),
            sink => new Func<int, string, CancellationToken, ValueTask>(async (a, b, ct) => { await Task.Yield(); sink.Value = Token(ct, Core(a, b)); }),
            sink => new Func<int, string, Task>(async (a, b) => { await Task.Yield(); sink.Value = Core(a, b); }),
            sink => new Func<int, string, CancellationToken, Task>(async (a, b, ct) => { await Task.Yield(); sink.Value = Token(ct, Core(a, b)); }));
    }

    public static IEnumerable<Func<ShapeCase>> Arity3()
    {
        static string Core(int a, long b, string c) => $"{a}-{b}-{c}";
        return Cases(
            new Func<int, long, string, string>(Core),
            new Func<int, long, string, CancellationToken, string>((a, b, c, ct) => Token(ct, Core(a, b, c))),
            new Func<int, long, string, ValueTask<string>>(async (a, b, c) => { await Task.Yield(); return Core(a, b, c); }),
            new Func<int, long, string, CancellationToken, ValueTask<string>>(async (a, b, c, ct) => { await Task.Yield(); return Token(ct, Core(a, b, c)); }),
            new Func<int, long, string, Task<string>>(async (a, b, c) => { await Task.Yield(); return Core(a, b, c); }),
            new Func<int, long, string, CancellationToken, Task<string>>(async (a, b, c, ct) => { await Task.Yield(); return Token(ct, Core(a, b, c)); }),
            sink => new Action<int, long, string>((a, b, c) => sink.Value = Core(a, b, c)),
            sink => new Action<int, long, string, CancellationToken>((a, b, c, ct) => sink.Value = Token(ct, Core(a, b, c))),
            sink => new Func<int, long, string, ValueTask>(async (a, b, c) => { await Task.Yield(); sink.Value = Core(a, b, c); }),
            sink => new Func<int, long, string, CancellationToken, ValueTask>(async (a, b, c, ct) => { await Task.Yield(); sink.Value = Token(ct, Core(a, b, c)); }),
            sink => new Func<int, long, string, Task>(async (a, b, c) => { await Task.Yield(); sink.Value = Core(a, b, c); }),
            sink => new Func<int, long, string, CancellationToken, Task>(async (a, b, c, ct) => { await Task.Yield(); sink.Value = Token(ct, Core(a, b, c)); }));
    }

    public static IEnumerable<Func<ShapeCase>> Arity4()
    {
        static double Core(int a, int b, int c, double d) => (a * 100) + (b * 10) + c + d;
        return Cases(
            new Func<int, int, int, double, double>(Core),
            new Func<int, int, int, double, CancellationToken, double>((a, b, c, d, ct) => Token(ct, Core(a, b, c, d))),
            new Func<int, int, int, double, ValueTask<double>>(async (a, b, c, d) => { await Task.Yield(); return Core(a, b, c, d); }),
            new Func<int, int, int, double, CancellationToken, ValueTask<double>>(async (a, b, c, d, ct) => { await Task.Yield(); return Token(ct, Core(a, b, c, d)); }),
            new Func<int, int, int, double, Task<double>>(async (a, b, c, d) => { await Task.Yield(); return Core(a, b, c, d); }),
            new Func<int, int, int, double, CancellationToken, Task<double>>(async (a, b, c, d, ct) => { await Task.Yield(); return Token(ct, Core(a, b, c, d)); }),
            sink => new Action<int, int, int, double>((a, b, c, d) => sink.Value = Core(a, b, c, d)),
            sink => new Action<int, int, int, double, CancellationToken>((a, b, c, d, ct) => sink.Value = Token(ct, Core(a, b, c, d))),
            sink => new Func<int, int, int, double, ValueTask>(async (a, b, c, d) => { await Task.Yield(); sink.Value = Core(a, b, c, d); }),
            sink => new Func<int, int, int, double, CancellationToken, ValueTask>(async (a, b, c, d, ct) => { await Task.Yield(); sink.Value = Token(ct, Core(a, b, c, d)); }),
            sink => new Func<int, int, int, double, Task>(async (a, b, c, d) => { await Task.Yield(); sink.Value = Core(a, b, c, d); }),
            sink => new Func<int, int, int, double, CancellationToken, Task>(async (a, b, c, d, ct) => { await Task.Yield(); sink.Value = Token(ct, Core(a, b, c, d)); }));
    }

    [Test]
    [MethodDataSource(nameof(Arity0))]
    public async Task Arity_0(ShapeCase c)
    {
        var runtime = Deploy(c);
        await Expect(c, runtime.Invoke<int>("f"), 7);
        await Expect(c, await runtime.InvokeAsync<int>("f"), 7);
        await Assert.That(runtime.TotalInvocations).IsEqualTo(2);
        await Assert.That(runtime.Metrics.SuccessRate("f")).IsEqualTo(100.0);
    }

    [Test]
    [MethodDataSource(nameof(Arity1))]
    public async Task Arity_1(ShapeCase c)
    {
        var runtime = Deploy(c);
        await Expect(c, runtime.Invoke<int, int>("f", 3), 30);
        await Expect(c, await runtime.InvokeAsync<int, int>("f", 4), 40);
        await Assert.That(runtime.TotalInvocations).IsEqualTo(2);
        await Assert.That(runtime.Metrics.SuccessRate("f")).IsEqualTo(100.0);
    }

    [Test]
    [MethodDataSource(nameof(Arity2))]
    public async Task Arity_2(ShapeCase c)
    {
        var runtime = Deploy(c);
        await Expect(c, runtime.Invoke<int, string, int>("f", 3, "abcd"), 7);
        await Expect(c, await runtime.InvokeAsync<int, string, int>("f", 10, "xy"), 12);
        await Assert.That(runtime.TotalInvocations).IsEqualTo(2);
        await Assert.That(runtime.Metrics.SuccessRate("f")).IsEqualTo(100.0);
    }

    [Test]
    [MethodDataSource(nameof(Arity3))]
    public async Task Arity_3(ShapeCase c)
    {
        var runtime = Deploy(c);
        await Expect(c, runtime.Invoke<int, long, string, string>("f", 1, 2L, "z"), "1-2-z");
        await Expect(c, await runtime.InvokeAsync<int, long, string, string>("f", 9, long.MaxValue, "q"), $"9-{long.MaxValue}-q");
        await Assert.That(runtime.TotalInvocations).IsEqualTo(2);
        await Assert.That(runtime.Metrics.SuccessRate("f")).IsEqualTo(100.0);
    }

    [Test]
    [MethodDataSource(nameof(Arity4))]
    public async Task Arity_4(ShapeCase c)
    {
        var runtime = Deploy(c);
        await Expect(c, runtime.Invoke<int, int, int, double, double>("f", 1, 2, 3, 0.5), 123.5);
        await Expect(c, await runtime.InvokeAsync<int, int, int, double, double>("f", 4, 5, 6, 0.25), 456.25);
        await Assert.That(runtime.TotalInvocations).IsEqualTo(2);
        await Assert.That(runtime.Metrics.SuccessRate("f")).IsEqualTo(100.0);
    }

    private static EdgeRuntime Deploy(ShapeCase c)
    {
        var runtime = new EdgeRuntime(new EdgeNode("edge-01", "warehouse-sensor"));
        runtime.Deploy(new EdgeFunction("f", c.Shape, c.Handler));
        return runtime;
    }

    /// <summary>A result handler returns <paramref name="expected"/>; a void one returns default and stored it in its sink.</summary>
    private static async Task Expect<T>(ShapeCase c, T actual, T expected)
    {
        if (c.Sink is null)
        {
            await Assert.That(actual).IsEqualTo(expected);
            return;
        }

        await Assert.That(actual).IsEqualTo(default(T));
        await Assert.That(c.Sink.Value).IsEqualTo(expected);
        c.Sink.Value = null;
    }

    /// <summary>Token-taking handlers get the runtime's deadline token: cancellable, not yet cancelled.</summary>
    private static T Token<T>(CancellationToken ct, T value)
    {
        if (!ct.CanBeCanceled || ct.IsCancellationRequested)
        {
            throw new InvalidOperationException("The handler did not get a live deadline token.");
        }

        return value;
    }

    private static IEnumerable<Func<ShapeCase>> Shapes<TR>(
        Func<Func<TR>, Delegate> sync,
        Func<Func<TR>, Delegate> syncToken,
        Func<Func<TR>, Delegate> valueTask,
        Func<Func<TR>, Delegate> valueTaskToken,
        Func<Func<TR>, Delegate> task,
        Func<Func<TR>, Delegate> taskToken,
        Func<Func<TR>, StrongBox<object?>, Delegate> action,
        Func<Func<TR>, StrongBox<object?>, Delegate> actionToken,
        Func<Func<TR>, StrongBox<object?>, Delegate> voidValueTask,
        Func<Func<TR>, StrongBox<object?>, Delegate> voidValueTaskToken,
        Func<Func<TR>, StrongBox<object?>, Delegate> voidTask,
        Func<Func<TR>, StrongBox<object?>, Delegate> voidTaskToken,
        Func<TR> core) =>
        Cases(
            sync(core), syncToken(core), valueTask(core), valueTaskToken(core), task(core), taskToken(core),
            sink => action(core, sink), sink => actionToken(core, sink), sink => voidValueTask(core, sink),
            sink => voidValueTaskToken(core, sink), sink => voidTask(core, sink), sink => voidTaskToken(core, sink));

    private static IEnumerable<Func<ShapeCase>> Cases(
        Delegate sync,
        Delegate syncToken,
        Delegate valueTask,
        Delegate valueTaskToken,
        Delegate task,
        Delegate taskToken,
        Func<StrongBox<object?>, Delegate> action,
        Func<StrongBox<object?>, Delegate> actionToken,
        Func<StrongBox<object?>, Delegate> voidValueTask,
        Func<StrongBox<object?>, Delegate> voidValueTaskToken,
        Func<StrongBox<object?>, Delegate> voidTask,
        Func<StrongBox<object?>, Delegate> voidTaskToken)
    {
        yield return () => new ShapeCase("sync", sync, null);
        yield return () => new ShapeCase("sync+token", syncToken, null);
        yield return () => new ShapeCase("ValueTask", valueTask, null);
        yield return () => new ShapeCase("ValueTask+token", valueTaskToken, null);
        yield return () => new ShapeCase("Task", task, null);
        yield return () => new ShapeCase("Task+token", taskToken, null);
        yield return () => Void("void", action);
        yield return () => Void("void+token", actionToken);
        yield return () => Void("void ValueTask", voidValueTask);
        yield return () => Void("void ValueTask+token", voidValueTaskToken);
        yield return () => Void("void Task", voidTask);
        yield return () => Void("void Task+token", voidTaskToken);

        static ShapeCase Void(string shape, Func<StrongBox<object?>, Delegate> make)
        {
            var sink = new StrongBox<object?>();
            return new ShapeCase(shape, make(sink), sink);
        }
    }
}
