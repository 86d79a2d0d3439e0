// Typed handler calls for EdgeRuntime.Invoke/InvokeAsync, one struct per arity (like the Func family itself).
// Structs and static abstract members keep typed dispatch free of boxing, closures and params arrays.
// Task-returning shapes are matched before plain Func<..., TResult>: by delegate variance a Func<Task> is also a
// Func<object>, and calling it as one would hand back the task instead of awaiting it.
namespace Edge.Runtime;

/// <summary>How a handler delegate matched a typed call.</summary>
[Flags]
internal enum HandlerShape
{
    None = 0,
    Supported = 1,
    TakesToken = 2,
}

/// <summary>A typed call of a function: knows which delegate shapes it can drive and drives one.</summary>
internal interface IHandlerCall<TResult>
{
    static abstract HandlerShape Shape(EdgeFunction function);

    static abstract string Signature { get; }

    ValueTask<TResult> Invoke(EdgeFunction function, CancellationToken token);
}

internal readonly struct Call0<TResult>() : IHandlerCall<TResult>
{

    public static string Signature => "Invoke<" + TypeNames.Describe(typeof(TResult)) + ">";

    public static HandlerShape Shape(EdgeFunction function) => function.Handler switch
    {
        Func<TResult> or Func<ValueTask<TResult>> or Func<Task<TResult>> => HandlerShape.Supported,
        Action or Func<ValueTask> or Func<Task> => HandlerShape.Supported,
        Func<CancellationToken, TResult> or Func<CancellationToken, ValueTask<TResult>> or Func<CancellationToken, Task<TResult>> =>
            HandlerShape.Supported | HandlerShape.TakesToken,
        Action<CancellationToken> or Func<CancellationToken, ValueTask> or Func<CancellationToken, Task> =>
            HandlerShape.Supported | HandlerShape.TakesToken,
        _ => HandlerShape.None,
    };

    public ValueTask<TResult> Invoke(EdgeFunction function, CancellationToken token)
    {
        // The common shape, matched by exact type first: cheap, and immune to delegate variance.
        if (function.Handler.GetType() == typeof(Func<TResult>))
        {
            var f = (Func<TResult>)function.Handler;
            return new(f());
        }

        switch (function.Handler)
        {
            case Func<ValueTask<TResult>> f: return f();
            case Func<CancellationToken, ValueTask<TResult>> f: return f(token);
            case Func<Task<TResult>> f: return new(f());
            case Func<CancellationToken, Task<TResult>> f: return new(f(token));
            case Action f: f(); return default;
            case Action<CancellationToken> f: f(token); return default;
            case Func<ValueTask> f: return VoidResult.Of<TResult>(f());
            case Func<CancellationToken, ValueTask> f: return VoidResult.Of<TResult>(f(token));
            case Func<Task> f: return VoidResult.Of<TResult>(new ValueTask(f()));
            case Func<CancellationToken, Task> f: return VoidResult.Of<TResult>(new ValueTask(f(token)));
            case Func<TResult> f: return new(f());
            case Func<CancellationToken, TResult> f: return new(f(token));
            default: throw new InvalidOperationException("Shape was checked before Invoke.");
        }
    }
}

internal readonly struct Call1<T1, TResult>(T1 a1) : IHandlerCall<TResult>
{
    private readonly T1 _a1 = a1;

    public static string Signature => "Invoke<" + TypeNames.Describe(typeof(T1)) + ", " + TypeNames.Describe(typeof(TResult)) + ">";

    public static HandlerShape Shape(EdgeFunction function) => function.Handler switch
    {
        Func<T1, TResult> or Func<T1, ValueTask<TResult>> or Func<T1, Task<TResult>> => HandlerShape.Supported,
        Action<T1> or Func<T1, ValueTask> or Func<T1, Task> => HandlerShape.Supported,
        Func<T1, CancellationToken, TResult> or Func<T1, CancellationToken, ValueTask<TResult>> or Func<T1, CancellationToken, Task<TResult>> =>
            HandlerShape.Supported | HandlerShape.TakesToken,
        Action<T1, CancellationToken> or Func<T1, CancellationToken, ValueTask> or Func<T1, CancellationToken, Task> =>
            HandlerShape.Supported | HandlerShape.TakesToken,
        _ => HandlerShape.None,
    };

    public ValueTask<TResult> Invoke(EdgeFunction function, CancellationToken token)
    {
        // The common shape, matched by exact type first: cheap, and immune to delegate variance.
        if (function.Handler.GetType() == typeof(Func<T1, TResult>))
        {
            var f = (Func<T1, TResult>)function.Handler;
            return new(f(_a1));
        }

        switch (function.Handler)
        {
            case Func<T1, ValueTask<TResult>> f: return f(_a1);
            case Func<T1, CancellationToken, ValueTask<TResult>> f: return f(_a1, token);
            case Func<T1, Task<TResult>> f: return new(f(_a1));
            case Func<T1, CancellationToken, Task<TResult>> f: return new(f(_a1, token));
            case Action<T1> f: f(_a1); return default;
            case Action<T1, CancellationToken> f: f(_a1, token); return default;
            case Func<T1, ValueTask> f: return VoidResult.Of<TResult>(f(_a1));
            case Func<T1, CancellationToken, ValueTask> f: return VoidResult.Of<TResult>(f(_a1, token));
            case Func<T1, Task> f: return VoidResult.Of<TResult>(new ValueTask(f(_a1)));
            case Func<T1, CancellationToken, Task> f: return VoidResult.Of<TResult>(new ValueTask(f(_a1, token)));
            case Func<T1, TResult> f: return new(f(_a1));
            case Func<T1, CancellationToken, TResult> f: return new(f(_a1, token));
            default: throw new InvalidOperationException("Shape was checked before Invoke.");
        }
    }
}

internal readonly struct Call2<T1, T2, TResult>(T1 a1, T2 a2) : IHandlerCall<TResult>
{
    private readonly T1 _a1 = a1;
    private readonly T2 _a2 = a2;

    public static string Signature => "Invoke<" + TypeNames.Describe(typeof(T1)) + ", " + TypeNames.Describe(typeof(T2)) + ", " + TypeNames.Describe(typeof(TResult)) + ">";

    public static HandlerShape Shape(EdgeFunction function) => function.Handler switch
    {
        Func<T1, T2, TResult> or Func<T1, T2, ValueTask<TResult>> or Func<T1, T2, Task<TResult>> => HandlerShape.Supported,
        Action<T1, T2> or Func<T1, T2, ValueTask> or Func<T1, T2, Task> => HandlerShape.Supported,
        Func<T1, T2, CancellationToken, TResult> or Func<T1, T2, CancellationToken, ValueTask<TResult>> or Func<T1, T2, CancellationToken, Task<TResult>> =>
            HandlerShape.Supported | HandlerShape.TakesToken,
        Action<T1, T2, CancellationToken> or Func<T1, T2, CancellationToken, ValueTask> or Func<T1, T2, CancellationToken, Task> =>
            HandlerShape.Supported | HandlerShape.TakesToken,
        _ => HandlerShape.None,
    };

    public ValueTask<TResult> Invoke(EdgeFunction function, CancellationToken token)
    {
        // The common shape, matched by exact type first: cheap, and immune to delegate variance.
        if (function.Handler.GetType() == typeof(Func<T1, T2, TResult>))
        {
            var f = (Func<T1, T2, TResult>)function.Handler;
            return new(f(_a1, _a2));
        }

        switch (function.Handler)
        {
            case Func<T1, T2, ValueTask<TResult>> f: return f(_a1, _a2);
            case Func<T1, T2, CancellationToken, ValueTask<TResult>> f: return f(_a1, _a2, token);
            case Func<T1, T2, Task<TResult>> f: return new(f(_a1, _a2));
            case Func<T1, T2, CancellationToken, Task<TResult>> f: return new(f(_a1, _a2, token));
            case Action<T1, T2> f: f(_a1, _a2); return default;
            case Action<T1, T2, CancellationToken> f: f(_a1, _a2, token); return default;
            case Func<T1, T2, ValueTask> f: return VoidResult.Of<TResult>(f(_a1, _a2));
            case Func<T1, T2, CancellationToken, ValueTask> f: return VoidResult.Of<TResult>(f(_a1, _a2, token));
            case Func<T1, T2, Task> f: return VoidResult.Of<TResult>(new ValueTask(f(_a1, _a2)));
            case Func<T1, T2, CancellationToken, Task> f: return VoidResult.Of<TResult>(new ValueTask(f(_a1, _a2, token)));
            case Func<T1, T2, TResult> f: return new(f(_a1, _a2));
            case Func<T1, T2, CancellationToken, TResult> f: return new(f(_a1, _a2, token));
            default: throw new InvalidOperationException("Shape was checked before Invoke.");
        }
    }
}

internal readonly struct Call3<T1, T2, T3, TResult>(T1 a1, T2 a2, T3 a3) : IHandlerCall<TResult>
{
    private readonly T1 _a1 = a1;
    private readonly T2 _a2 = a2;
    private readonly T3 _a3 = a3;

    public static string Signature => "Invoke<" + TypeNames.Describe(typeof(T1)) + ", " + TypeNames.Describe(typeof(T2)) + ", " + TypeNames.Describe(typeof(T3)) + ", " + TypeNames.Describe(typeof(TResult)) + ">";

    public static HandlerShape Shape(EdgeFunction function) => function.Handler switch
    {
        Func<T1, T2, T3, TResult> or Func<T1, T2, T3, ValueTask<TResult>> or Func<T1, T2, T3, Task<TResult>> => HandlerShape.Supported,
        Action<T1, T2, T3> or Func<T1, T2, T3, ValueTask> or Func<T1, T2, T3, Task> => HandlerShape.Supported,
        Func<T1, T2, T3, CancellationToken, TResult> or Func<T1, T2, T3, CancellationToken, ValueTask<TResult>> or Func<T1, T2, T3, CancellationToken, Task<TResult>> =>
            HandlerShape.Supported | HandlerShape.TakesToken,
        Action<T1, T2, T3, CancellationToken> or Func<T1, T2, T3, CancellationToken, ValueTask> or Func<T1, T2, T3, CancellationToken, Task> =>
            HandlerShape.Supported | HandlerShape.TakesToken,
        _ => HandlerShape.None,
    };

    public ValueTask<TResult> Invoke(EdgeFunction function, CancellationToken token)
    {
        // The common shape, matched by exact type first: cheap, and immune to delegate variance.
        if (function.Handler.GetType() == typeof(Func<T1, T2, T3, TResult>))
        {
            var f = (Func<T1, T2, T3, TResult>)function.Handler;
            return new(f(_a1, _a2, _a3));
        }

        switch (function.Handler)
        {
            case Func<T1, T2, T3, ValueTask<TResult>> f: return f(_a1, _a2, _a3);
            case Func<T1, T2, T3, CancellationToken, ValueTask<TResult>> f: return f(_a1, _a2, _a3, token);
            case Func<T1, T2, T3, Task<TResult>> f: return new(f(_a1, _a2, _a3));
            case Func<T1, T2, T3, CancellationToken, Task<TResult>> f: return new(f(_a1, _a2, _a3, token));
            case Action<T1, T2, T3> f: f(_a1, _a2, _a3); return default;
            case Action<T1, T2, T3, CancellationToken> f: f(_a1, _a2, _a3, token); return default;
            case Func<T1, T2, T3, ValueTask> f: return VoidResult.Of<TResult>(f(_a1, _a2, _a3));
            case Func<T1, T2, T3, CancellationToken, ValueTask> f: return VoidResult.Of<TResult>(f(_a1, _a2, _a3, token));
            case Func<T1, T2, T3, Task> f: return VoidResult.Of<TResult>(new ValueTask(f(_a1, _a2, _a3)));
            case Func<T1, T2, T3, CancellationToken, Task> f: return VoidResult.Of<TResult>(new ValueTask(f(_a1, _a2, _a3, token)));
            case Func<T1, T2, T3, TResult> f: return new(f(_a1, _a2, _a3));
            case Func<T1, T2, T3, CancellationToken, TResult> f: return new(f(_a1, _a2, _a3, token));
            default: throw new InvalidOperationException("Shape was checked before Invoke.");
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

    public static HandlerShape Shape(EdgeFunction function) => function.Handler switch
    {
        Func<T1, T2, T3, T4, TResult> or Func<T1, T2, T3, T4, ValueTask<TResult>> or Func<T1, T2, T3, T4, Task<TResult>> => HandlerShape.Supported,
        Action<T1, T2, T3, T4> or Func<T1, T2, T3, T4, ValueTask> or Func<T1, T2, T3, T4, Task> => HandlerShape.Supported,
        Func<T1, T2, T3, T4, CancellationToken, TResult> or Func<T1, T2, T3, T4, CancellationToken, ValueTask<TResult>> or Func<T1, T2, T3, T4, CancellationToken, Task<TResult>> =>
            HandlerShape.Supported | HandlerShape.TakesToken,
        Action<T1, T2, T3, T4, CancellationToken> or Func<T1, T2, T3, T4, CancellationToken, ValueTask> or Func<T1, T2, T3, T4, CancellationToken, Task> =>
            HandlerShape.Supported | HandlerShape.TakesToken,
        _ => HandlerShape.None,
    };

    public ValueTask<TResult> Invoke(EdgeFunction function, CancellationToken token)
    {
        // The common shape, matched by exact type first: cheap, and immune to delegate variance.
        if (function.Handler.GetType() == typeof(Func<T1, T2, T3, T4, TResult>))
        {
            var f = (Func<T1, T2, T3, T4, TResult>)function.Handler;
            return new(f(_a1, _a2, _a3, _a4));
        }

        switch (function.Handler)
        {
            case Func<T1, T2, T3, T4, ValueTask<TResult>> f: return f(_a1, _a2, _a3, _a4);
            case Func<T1, T2, T3, T4, CancellationToken, ValueTask<TResult>> f: return f(_a1, _a2, _a3, _a4, token);
            case Func<T1, T2, T3, T4, Task<TResult>> f: return new(f(_a1, _a2, _a3, _a4));
            case Func<T1, T2, T3, T4, CancellationToken, Task<TResult>> f: return new(f(_a1, _a2, _a3, _a4, token));
            case Action<T1, T2, T3, T4> f: f(_a1, _a2, _a3, _a4); return default;
            case Action<T1, T2, T3, T4, CancellationToken> f: f(_a1, _a2, _a3, _a4, token); return default;
            case Func<T1, T2, T3, T4, ValueTask> f: return VoidResult.Of<TResult>(f(_a1, _a2, _a3, _a4));
            case Func<T1, T2, T3, T4, CancellationToken, ValueTask> f: return VoidResult.Of<TResult>(f(_a1, _a2, _a3, _a4, token));
            case Func<T1, T2, T3, T4, Task> f: return VoidResult.Of<TResult>(new ValueTask(f(_a1, _a2, _a3, _a4)));
            case Func<T1, T2, T3, T4, CancellationToken, Task> f: return VoidResult.Of<TResult>(new ValueTask(f(_a1, _a2, _a3, _a4, token)));
            case Func<T1, T2, T3, T4, TResult> f: return new(f(_a1, _a2, _a3, _a4));
            case Func<T1, T2, T3, T4, CancellationToken, TResult> f: return new(f(_a1, _a2, _a3, _a4, token));
            default: throw new InvalidOperationException("Shape was checked before Invoke.");
        }
    }
}
