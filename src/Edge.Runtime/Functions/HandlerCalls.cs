// Typed handler calls for EdgeRuntime.Invoke/InvokeAsync and resolved handles, one struct per arity (like the Func
// family itself). Structs and static abstract members keep typed dispatch free of boxing, closures and params arrays.
// The handler's shape is matched once, when a call is bound (a handle resolved, a by-id call's slot first used), into a
// HandlerKind; a call then switches on the kind and reinterprets the delegate it was matched as (Unsafe.As: the cast
// already succeeded at binding, so no type check is repeated per call).
// Task-returning shapes are matched before plain Func<..., TResult>: by delegate variance a Func<Task> is also a
// Func<object>, and calling it as one would hand back the task instead of awaiting it.
using System.Runtime.CompilerServices;

namespace Edge.Runtime;

/// <summary>Which delegate shape a handler matched for a typed call; <see cref="None"/> when it matched none.</summary>
internal enum HandlerKind : byte
{
    None = 0,
    Value,
    ValueTaskOfT,
    TaskOfT,
    Action,
    ValueTask,
    Task,
    Json,

    // Token-taking shapes: the call rents a deadline source.
    TokenValue = 0x80 | Value,
    TokenValueTaskOfT = 0x80 | ValueTaskOfT,
    TokenTaskOfT = 0x80 | TaskOfT,
    TokenAction = 0x80 | Action,
    TokenValueTask = 0x80 | ValueTask,
    TokenTask = 0x80 | Task,
}

internal static class HandlerKinds
{
    public static bool TakesToken(this HandlerKind kind) => ((byte)kind & 0x80) != 0 || kind == HandlerKind.Json;
}

/// <summary>A typed call of a function: binds a handler's shape once, then drives it.</summary>
internal interface IHandlerCall<TResult>
{
    static abstract HandlerKind Bind(EdgeFunction function);

    static abstract string Signature { get; }

    ValueTask<TResult> Invoke(HandlerKind kind, EdgeFunction function, CancellationToken token);
}

internal readonly struct Call0<TResult>() : IHandlerCall<TResult>
{
    public static string Signature => "Invoke<" + TypeNames.Describe(typeof(TResult)) + ">";

    public static HandlerKind Bind(EdgeFunction function)
    {
        var handler = function.Handler;

        // The common shape, matched by exact type first: cheap, and immune to delegate variance.
        if (handler.GetType() == typeof(Func<TResult>))
        {
            return HandlerKind.Value;
        }

        return handler switch
        {
            Func<ValueTask<TResult>> => HandlerKind.ValueTaskOfT,
            Func<CancellationToken, ValueTask<TResult>> => HandlerKind.TokenValueTaskOfT,
            Func<Task<TResult>> => HandlerKind.TaskOfT,
            Func<CancellationToken, Task<TResult>> => HandlerKind.TokenTaskOfT,
            Action => HandlerKind.Action,
            Action<CancellationToken> => HandlerKind.TokenAction,
            Func<ValueTask> => HandlerKind.ValueTask,
            Func<CancellationToken, ValueTask> => HandlerKind.TokenValueTask,
            Func<Task> => HandlerKind.Task,
            Func<CancellationToken, Task> => HandlerKind.TokenTask,
            Func<TResult> => HandlerKind.Value,
            Func<CancellationToken, TResult> => HandlerKind.TokenValue,
            _ => HandlerKind.None,
        };
    }

    public ValueTask<TResult> Invoke(HandlerKind kind, EdgeFunction function, CancellationToken token)
    {
        var handler = function.Handler;
        if (kind == HandlerKind.Value)
        {
            return new(Unsafe.As<Func<TResult>>(handler)());
        }

        switch (kind)
        {
            case HandlerKind.ValueTaskOfT: return Unsafe.As<Func<ValueTask<TResult>>>(handler)();
            case HandlerKind.TokenValueTaskOfT: return Unsafe.As<Func<CancellationToken, ValueTask<TResult>>>(handler)(token);
            case HandlerKind.TaskOfT: return new(Unsafe.As<Func<Task<TResult>>>(handler)());
            case HandlerKind.TokenTaskOfT: return new(Unsafe.As<Func<CancellationToken, Task<TResult>>>(handler)(token));
            case HandlerKind.Action: Unsafe.As<Action>(handler)(); return default;
            case HandlerKind.TokenAction: Unsafe.As<Action<CancellationToken>>(handler)(token); return default;
            case HandlerKind.ValueTask: return VoidResult.Of<TResult>(Unsafe.As<Func<ValueTask>>(handler)());
            case HandlerKind.TokenValueTask: return VoidResult.Of<TResult>(Unsafe.As<Func<CancellationToken, ValueTask>>(handler)(token));
            case HandlerKind.Task: return VoidResult.Of<TResult>(new ValueTask(Unsafe.As<Func<Task>>(handler)()));
            case HandlerKind.TokenTask: return VoidResult.Of<TResult>(new ValueTask(Unsafe.As<Func<CancellationToken, Task>>(handler)(token)));
            case HandlerKind.TokenValue: return new(Unsafe.As<Func<CancellationToken, TResult>>(handler)(token));
            default: throw new InvalidOperationException("The kind was bound before Invoke.");
        }
    }
}

internal readonly struct Call1<T1, TResult>(T1 a1) : IHandlerCall<TResult>
{
    private readonly T1 _a1 = a1;

    public static string Signature => "Invoke<" + TypeNames.Describe(typeof(T1)) + ", " + TypeNames.Describe(typeof(TResult)) + ">";

    public static HandlerKind Bind(EdgeFunction function)
    {
        var handler = function.Handler;

        // The common shape, matched by exact type first: cheap, and immune to delegate variance.
        if (handler.GetType() == typeof(Func<T1, TResult>))
        {
            return HandlerKind.Value;
        }

        return handler switch
        {
            Func<T1, ValueTask<TResult>> => HandlerKind.ValueTaskOfT,
            Func<T1, CancellationToken, ValueTask<TResult>> => HandlerKind.TokenValueTaskOfT,
            Func<T1, Task<TResult>> => HandlerKind.TaskOfT,
            Func<T1, CancellationToken, Task<TResult>> => HandlerKind.TokenTaskOfT,
            Action<T1> => HandlerKind.Action,
            Action<T1, CancellationToken> => HandlerKind.TokenAction,
            Func<T1, ValueTask> => HandlerKind.ValueTask,
            Func<T1, CancellationToken, ValueTask> => HandlerKind.TokenValueTask,
            Func<T1, Task> => HandlerKind.Task,
            Func<T1, CancellationToken, Task> => HandlerKind.TokenTask,
            Func<T1, TResult> => HandlerKind.Value,
            Func<T1, CancellationToken, TResult> => HandlerKind.TokenValue,
            _ => HandlerKind.None,
        };
    }

    public ValueTask<TResult> Invoke(HandlerKind kind, EdgeFunction function, CancellationToken token)
    {
        var handler = function.Handler;
        if (kind == HandlerKind.Value)
        {
            return new(Unsafe.As<Func<T1, TResult>>(handler)(_a1));
        }

        switch (kind)
        {
            case HandlerKind.ValueTaskOfT: return Unsafe.As<Func<T1, ValueTask<TResult>>>(handler)(_a1);
            case HandlerKind.TokenValueTaskOfT: return Unsafe.As<Func<T1, CancellationToken, ValueTask<TResult>>>(handler)(_a1, token);
            case HandlerKind.TaskOfT: return new(Unsafe.As<Func<T1, Task<TResult>>>(handler)(_a1));
            case HandlerKind.TokenTaskOfT: return new(Unsafe.As<Func<T1, CancellationToken, Task<TResult>>>(handler)(_a1, token));
            case HandlerKind.Action: Unsafe.As<Action<T1>>(handler)(_a1); return default;
            case HandlerKind.TokenAction: Unsafe.As<Action<T1, CancellationToken>>(handler)(_a1, token); return default;
            case HandlerKind.ValueTask: return VoidResult.Of<TResult>(Unsafe.As<Func<T1, ValueTask>>(handler)(_a1));
            case HandlerKind.TokenValueTask: return VoidResult.Of<TResult>(Unsafe.As<Func<T1, CancellationToken, ValueTask>>(handler)(_a1, token));
            case HandlerKind.Task: return VoidResult.Of<TResult>(new ValueTask(Unsafe.As<Func<T1, Task>>(handler)(_a1)));
            case HandlerKind.TokenTask: return VoidResult.Of<TResult>(new ValueTask(Unsafe.As<Func<T1, CancellationToken, Task>>(handler)(_a1, token)));
            case HandlerKind.TokenValue: return new(Unsafe.As<Func<T1, CancellationToken, TResult>>(handler)(_a1, token));
            default: throw new InvalidOperationException("The kind was bound before Invoke.");
        }
    }
}

internal readonly struct Call2<T1, T2, TResult>(T1 a1, T2 a2) : IHandlerCall<TResult>
{
    private readonly T1 _a1 = a1;
    private readonly T2 _a2 = a2;

    public static string Signature => "Invoke<" + TypeNames.Describe(typeof(T1)) + ", " + TypeNames.Describe(typeof(T2)) + ", " + TypeNames.Describe(typeof(TResult)) + ">";

    public static HandlerKind Bind(EdgeFunction function)
    {
        var handler = function.Handler;

        // The common shape, matched by exact type first: cheap, and immune to delegate variance.
        if (handler.GetType() == typeof(Func<T1, T2, TResult>))
        {
            return HandlerKind.Value;
        }

        return handler switch
        {
            Func<T1, T2, ValueTask<TResult>> => HandlerKind.ValueTaskOfT,
            Func<T1, T2, CancellationToken, ValueTask<TResult>> => HandlerKind.TokenValueTaskOfT,
            Func<T1, T2, Task<TResult>> => HandlerKind.TaskOfT,
            Func<T1, T2, CancellationToken, Task<TResult>> => HandlerKind.TokenTaskOfT,
            Action<T1, T2> => HandlerKind.Action,
            Action<T1, T2, CancellationToken> => HandlerKind.TokenAction,
            Func<T1, T2, ValueTask> => HandlerKind.ValueTask,
            Func<T1, T2, CancellationToken, ValueTask> => HandlerKind.TokenValueTask,
            Func<T1, T2, Task> => HandlerKind.Task,
            Func<T1, T2, CancellationToken, Task> => HandlerKind.TokenTask,
            Func<T1, T2, TResult> => HandlerKind.Value,
            Func<T1, T2, CancellationToken, TResult> => HandlerKind.TokenValue,
            _ => HandlerKind.None,
        };
    }

    public ValueTask<TResult> Invoke(HandlerKind kind, EdgeFunction function, CancellationToken token)
    {
        var handler = function.Handler;
        if (kind == HandlerKind.Value)
        {
            return new(Unsafe.As<Func<T1, T2, TResult>>(handler)(_a1, _a2));
        }

        switch (kind)
        {
            case HandlerKind.ValueTaskOfT: return Unsafe.As<Func<T1, T2, ValueTask<TResult>>>(handler)(_a1, _a2);
            case HandlerKind.TokenValueTaskOfT: return Unsafe.As<Func<T1, T2, CancellationToken, ValueTask<TResult>>>(handler)(_a1, _a2, token);
            case HandlerKind.TaskOfT: return new(Unsafe.As<Func<T1, T2, Task<TResult>>>(handler)(_a1, _a2));
            case HandlerKind.TokenTaskOfT: return new(Unsafe.As<Func<T1, T2, CancellationToken, Task<TResult>>>(handler)(_a1, _a2, token));
            case HandlerKind.Action: Unsafe.As<Action<T1, T2>>(handler)(_a1, _a2); return default;
            case HandlerKind.TokenAction: Unsafe.As<Action<T1, T2, CancellationToken>>(handler)(_a1, _a2, token); return default;
            case HandlerKind.ValueTask: return VoidResult.Of<TResult>(Unsafe.As<Func<T1, T2, ValueTask>>(handler)(_a1, _a2));
            case HandlerKind.TokenValueTask: return VoidResult.Of<TResult>(Unsafe.As<Func<T1, T2, CancellationToken, ValueTask>>(handler)(_a1, _a2, token));
            case HandlerKind.Task: return VoidResult.Of<TResult>(new ValueTask(Unsafe.As<Func<T1, T2, Task>>(handler)(_a1, _a2)));
            case HandlerKind.TokenTask: return VoidResult.Of<TResult>(new ValueTask(Unsafe.As<Func<T1, T2, CancellationToken, Task>>(handler)(_a1, _a2, token)));
            case HandlerKind.TokenValue: return new(Unsafe.As<Func<T1, T2, CancellationToken, TResult>>(handler)(_a1, _a2, token));
            default: throw new InvalidOperationException("The kind was bound before Invoke.");
        }
    }
}

internal readonly struct Call3<T1, T2, T3, TResult>(T1 a1, T2 a2, T3 a3) : IHandlerCall<TResult>
{
    private readonly T1 _a1 = a1;
    private readonly T2 _a2 = a2;
    private readonly T3 _a3 = a3;

    public static string Signature => "Invoke<" + TypeNames.Describe(typeof(T1)) + ", " + TypeNames.Describe(typeof(T2)) + ", " + TypeNames.Describe(typeof(T3)) + ", " + TypeNames.Describe(typeof(TResult)) + ">";

    public static HandlerKind Bind(EdgeFunction function)
    {
        var handler = function.Handler;

        // The common shape, matched by exact type first: cheap, and immune to delegate variance.
        if (handler.GetType() == typeof(Func<T1, T2, T3, TResult>))
        {
            return HandlerKind.Value;
        }

        return handler switch
        {
            Func<T1, T2, T3, ValueTask<TResult>> => HandlerKind.ValueTaskOfT,
            Func<T1, T2, T3, CancellationToken, ValueTask<TResult>> => HandlerKind.TokenValueTaskOfT,
            Func<T1, T2, T3, Task<TResult>> => HandlerKind.TaskOfT,
            Func<T1, T2, T3, CancellationToken, Task<TResult>> => HandlerKind.TokenTaskOfT,
            Action<T1, T2, T3> => HandlerKind.Action,
            Action<T1, T2, T3, CancellationToken> => HandlerKind.TokenAction,
            Func<T1, T2, T3, ValueTask> => HandlerKind.ValueTask,
            Func<T1, T2, T3, CancellationToken, ValueTask> => HandlerKind.TokenValueTask,
            Func<T1, T2, T3, Task> => HandlerKind.Task,
            Func<T1, T2, T3, CancellationToken, Task> => HandlerKind.TokenTask,
            Func<T1, T2, T3, TResult> => HandlerKind.Value,
            Func<T1, T2, T3, CancellationToken, TResult> => HandlerKind.TokenValue,
            _ => HandlerKind.None,
        };
    }

    public ValueTask<TResult> Invoke(HandlerKind kind, EdgeFunction function, CancellationToken token)
    {
        var handler = function.Handler;
        if (kind == HandlerKind.Value)
        {
            return new(Unsafe.As<Func<T1, T2, T3, TResult>>(handler)(_a1, _a2, _a3));
        }

        switch (kind)
        {
            case HandlerKind.ValueTaskOfT: return Unsafe.As<Func<T1, T2, T3, ValueTask<TResult>>>(handler)(_a1, _a2, _a3);
            case HandlerKind.TokenValueTaskOfT: return Unsafe.As<Func<T1, T2, T3, CancellationToken, ValueTask<TResult>>>(handler)(_a1, _a2, _a3, token);
            case HandlerKind.TaskOfT: return new(Unsafe.As<Func<T1, T2, T3, Task<TResult>>>(handler)(_a1, _a2, _a3));
            case HandlerKind.TokenTaskOfT: return new(Unsafe.As<Func<T1, T2, T3, CancellationToken, Task<TResult>>>(handler)(_a1, _a2, _a3, token));
            case HandlerKind.Action: Unsafe.As<Action<T1, T2, T3>>(handler)(_a1, _a2, _a3); return default;
            case HandlerKind.TokenAction: Unsafe.As<Action<T1, T2, T3, CancellationToken>>(handler)(_a1, _a2, _a3, token); return default;
            case HandlerKind.ValueTask: return VoidResult.Of<TResult>(Unsafe.As<Func<T1, T2, T3, ValueTask>>(handler)(_a1, _a2, _a3));
            case HandlerKind.TokenValueTask: return VoidResult.Of<TResult>(Unsafe.As<Func<T1, T2, T3, CancellationToken, ValueTask>>(handler)(_a1, _a2, _a3, token));
            case HandlerKind.Task: return VoidResult.Of<TResult>(new ValueTask(Unsafe.As<Func<T1, T2, T3, Task>>(handler)(_a1, _a2, _a3)));
            case HandlerKind.TokenTask: return VoidResult.Of<TResult>(new ValueTask(Unsafe.As<Func<T1, T2, T3, CancellationToken, Task>>(handler)(_a1, _a2, _a3, token)));
            case HandlerKind.TokenValue: return new(Unsafe.As<Func<T1, T2, T3, CancellationToken, TResult>>(handler)(_a1, _a2, _a3, token));
            default: throw new InvalidOperationException("The kind was bound before Invoke.");
        }
    }
}

internal readonly struct Call4<T1, T2, T3, T4, TResult>(T1 a1, T2 a2, T3 a3, T4 a4) : IHandlerCall<TResult>
{
    private readonly T1 _a1 = a1;
    private readonly T2 _a2 = a2;
    private readonly T3 _a3 = a3;
    private readonly T4 _a4 = a4;

    public static string Signature => "Invoke<" + TypeNames.Describe(typeof(T1)) + ", " + TypeNames.Describe(typeof(T2)) + ", " + TypeNames.Describe(typeof(T3)) + ", " + TypeNames.Describe(typeof(T4)) + ", " + TypeNames.Describe(typeof(TResult)) + ">";

    public static HandlerKind Bind(EdgeFunction function)
    {
        var handler = function.Handler;

        // The common shape, matched by exact type first: cheap, and immune to delegate variance.
        if (handler.GetType() == typeof(Func<T1, T2, T3, T4, TResult>))
        {
            return HandlerKind.Value;
        }

        return handler switch
        {
            Func<T1, T2, T3, T4, ValueTask<TResult>> => HandlerKind.ValueTaskOfT,
            Func<T1, T2, T3, T4, CancellationToken, ValueTask<TResult>> => HandlerKind.TokenValueTaskOfT,
            Func<T1, T2, T3, T4, Task<TResult>> => HandlerKind.TaskOfT,
            Func<T1, T2, T3, T4, CancellationToken, Task<TResult>> => HandlerKind.TokenTaskOfT,
            Action<T1, T2, T3, T4> => HandlerKind.Action,
            Action<T1, T2, T3, T4, CancellationToken> => HandlerKind.TokenAction,
            Func<T1, T2, T3, T4, ValueTask> => HandlerKind.ValueTask,
            Func<T1, T2, T3, T4, CancellationToken, ValueTask> => HandlerKind.TokenValueTask,
            Func<T1, T2, T3, T4, Task> => HandlerKind.Task,
            Func<T1, T2, T3, T4, CancellationToken, Task> => HandlerKind.TokenTask,
            Func<T1, T2, T3, T4, TResult> => HandlerKind.Value,
            Func<T1, T2, T3, T4, CancellationToken, TResult> => HandlerKind.TokenValue,
            _ => HandlerKind.None,
        };
    }

    public ValueTask<TResult> Invoke(HandlerKind kind, EdgeFunction function, CancellationToken token)
    {
        var handler = function.Handler;
        if (kind == HandlerKind.Value)
        {
            return new(Unsafe.As<Func<T1, T2, T3, T4, TResult>>(handler)(_a1, _a2, _a3, _a4));
        }

        switch (kind)
        {
            case HandlerKind.ValueTaskOfT: return Unsafe.As<Func<T1, T2, T3, T4, ValueTask<TResult>>>(handler)(_a1, _a2, _a3, _a4);
            case HandlerKind.TokenValueTaskOfT: return Unsafe.As<Func<T1, T2, T3, T4, CancellationToken, ValueTask<TResult>>>(handler)(_a1, _a2, _a3, _a4, token);
            case HandlerKind.TaskOfT: return new(Unsafe.As<Func<T1, T2, T3, T4, Task<TResult>>>(handler)(_a1, _a2, _a3, _a4));
            case HandlerKind.TokenTaskOfT: return new(Unsafe.As<Func<T1, T2, T3, T4, CancellationToken, Task<TResult>>>(handler)(_a1, _a2, _a3, _a4, token));
            case HandlerKind.Action: Unsafe.As<Action<T1, T2, T3, T4>>(handler)(_a1, _a2, _a3, _a4); return default;
            case HandlerKind.TokenAction: Unsafe.As<Action<T1, T2, T3, T4, CancellationToken>>(handler)(_a1, _a2, _a3, _a4, token); return default;
            case HandlerKind.ValueTask: return VoidResult.Of<TResult>(Unsafe.As<Func<T1, T2, T3, T4, ValueTask>>(handler)(_a1, _a2, _a3, _a4));
            case HandlerKind.TokenValueTask: return VoidResult.Of<TResult>(Unsafe.As<Func<T1, T2, T3, T4, CancellationToken, ValueTask>>(handler)(_a1, _a2, _a3, _a4, token));
            case HandlerKind.Task: return VoidResult.Of<TResult>(new ValueTask(Unsafe.As<Func<T1, T2, T3, T4, Task>>(handler)(_a1, _a2, _a3, _a4)));
            case HandlerKind.TokenTask: return VoidResult.Of<TResult>(new ValueTask(Unsafe.As<Func<T1, T2, T3, T4, CancellationToken, Task>>(handler)(_a1, _a2, _a3, _a4, token)));
            case HandlerKind.TokenValue: return new(Unsafe.As<Func<T1, T2, T3, T4, CancellationToken, TResult>>(handler)(_a1, _a2, _a3, _a4, token));
            default: throw new InvalidOperationException("The kind was bound before Invoke.");
        }
    }
}
