namespace Edge.Runtime;

// Resolved handles: the lookup and shape check of invoke-by-id, done once. A handle keeps the binding it made and
// compares its slot with the cell's current one on every call: one reference compare is the deploy-version check
// (every deploy publishes a new slot), so a redeploy, an undeploy or a new handler shape is seen on the next call.

/// <content>Resolve: typed handles.</content>
public sealed partial class EdgeRuntime
{
    /// <summary>Resolves a function for typed calls with 0 arguments: lookup and shape check now, once.</summary>
    /// <exception cref="EdgeFunctionNotFoundException">No such function.</exception>
    /// <exception cref="ArgumentException">Its handler cannot be called with these types (the message names its delegate type).</exception>
    public EdgeFunctionHandle<TResult> Resolve<TResult>(string id) => new(this, id);

    /// <summary>Resolves a function for typed calls with 1 argument: lookup and shape check now, once.</summary>
    /// <exception cref="EdgeFunctionNotFoundException">No such function.</exception>
    /// <exception cref="ArgumentException">Its handler cannot be called with these types (the message names its delegate type).</exception>
    public EdgeFunctionHandle<T1, TResult> Resolve<T1, TResult>(string id) => new(this, id);

    /// <summary>Resolves a function for typed calls with 2 arguments: lookup and shape check now, once.</summary>
    /// <exception cref="EdgeFunctionNotFoundException">No such function.</exception>
    /// <exception cref="ArgumentException">Its handler cannot be called with these types (the message names its delegate type).</exception>
    public EdgeFunctionHandle<T1, T2, TResult> Resolve<T1, T2, TResult>(string id) => new(this, id);

    /// <summary>Resolves a function for typed calls with 3 arguments: lookup and shape check now, once.</summary>
    /// <exception cref="EdgeFunctionNotFoundException">No such function.</exception>
    /// <exception cref="ArgumentException">Its handler cannot be called with these types (the message names its delegate type).</exception>
    public EdgeFunctionHandle<T1, T2, T3, TResult> Resolve<T1, T2, T3, TResult>(string id) => new(this, id);

    /// <summary>Resolves a function for typed calls with 4 arguments: lookup and shape check now, once.</summary>
    /// <exception cref="EdgeFunctionNotFoundException">No such function.</exception>
    /// <exception cref="ArgumentException">Its handler cannot be called with these types (the message names its delegate type).</exception>
    public EdgeFunctionHandle<T1, T2, T3, T4, TResult> Resolve<T1, T2, T3, T4, TResult>(string id) => new(this, id);
}

/// <summary>What every resolved handle has: its runtime, its function id and the binding it calls through.</summary>
public abstract class EdgeFunctionHandle
{
    private protected EdgeFunctionHandle(EdgeRuntime runtime, string id)
    {
        Runtime = runtime;
        Cell = runtime.CellOf(id);
        FunctionId = Cell.Id;
    }

    /// <summary>The runtime it calls into.</summary>
    public EdgeRuntime Runtime { get; }

    /// <summary>The function id it was resolved for.</summary>
    public string FunctionId { get; }

    internal FunctionCell Cell { get; }

    /// <summary>The deployment and handler shape of the last successful check; replaced when the cell moves on.</summary>
    internal FunctionBinding Binding { get; set; } = null!;

    /// <summary>Binds to the current deployment or throws as invoke-by-id would.</summary>
    internal FunctionBinding Bind<TCall, TResult>()
        where TCall : struct, IHandlerCall<TResult>
    {
        var slot = Cell.Current ?? throw new EdgeFunctionNotFoundException(FunctionId);
        return Binding = EdgeRuntime.Bind<TCall, TResult>(slot);
    }
}

/// <summary>Where a typed call finds its binding: by id (one lookup) or through a handle (one reference compare).</summary>
internal interface IFunctionTarget
{
    FunctionBinding Bind<TCall, TResult>(EdgeRuntime runtime)
        where TCall : struct, IHandlerCall<TResult>;
}

internal readonly struct ByIdTarget(string id) : IFunctionTarget
{
    public FunctionBinding Bind<TCall, TResult>(EdgeRuntime runtime)
        where TCall : struct, IHandlerCall<TResult> => runtime.BindById<TCall, TResult>(id);
}

internal readonly struct HandleTarget(EdgeFunctionHandle handle) : IFunctionTarget
{
    public FunctionBinding Bind<TCall, TResult>(EdgeRuntime runtime)
        where TCall : struct, IHandlerCall<TResult>
    {
        var binding = handle.Binding;
        return ReferenceEquals(binding.Slot, handle.Cell.Current) ? binding : handle.Bind<TCall, TResult>();
    }
}

/// <summary>A typed call bound to one deployment: which slot, which handler shape, for which call type.</summary>
internal sealed class FunctionBinding(EdgeRuntime.FunctionSlot slot, HandlerKind kind, Type call)
{
    public EdgeRuntime.FunctionSlot Slot { get; } = slot;

    public HandlerKind Kind { get; } = kind;

    public Type Call { get; } = call;
}

/// <summary>
/// One function id over the runtime's life: its counters (kept across redeploys) and its current deployment, null while
/// undeployed. Written under the deploy lock, read without one.
/// </summary>
internal sealed class FunctionCell(string id)
{
    private EdgeRuntime.FunctionSlot? _current;
    private long _invocations;

    public string Id { get; } = id;

    public EdgeRuntime.FunctionSlot? Current => Volatile.Read(ref _current);

    public long Invocations => Interlocked.Read(ref _invocations);

    /// <summary>This function's metrics counters on this runtime's node, resolved on first success.</summary>
    public EdgeMetrics.CounterSet? Counters { get; set; }

    public void Publish(EdgeRuntime.FunctionSlot? slot) => Volatile.Write(ref _current, slot);

    public void Increment() => Interlocked.Increment(ref _invocations);
}

/// <summary>
/// A function of no arguments resolved once with <see cref="EdgeRuntime.Resolve{TResult}(string)"/>: calls skip the lookup and
/// the shape check. It follows redeploys of its id (calling the new handler); after an undeploy or a redeploy with a
/// handler of another shape its calls throw what invoke-by-id throws.
/// </summary>
/// <typeparam name="TResult">The result type.</typeparam>
public sealed class EdgeFunctionHandle<TResult> : EdgeFunctionHandle
{
    internal EdgeFunctionHandle(EdgeRuntime runtime, string id)
        : base(runtime, id)
    {
        Binding = Bind<Call0<TResult>, TResult>();
    }

    /// <summary>Invokes the function (see <see cref="EdgeRuntime.Invoke{TResult}(string)"/>).</summary>
    /// <exception cref="EdgeFunctionNotFoundException">The function was undeployed.</exception>
    /// <exception cref="EdgeTimeoutException">The deadline passed.</exception>
    /// <exception cref="EdgeExecutionException">The function threw.</exception>
    public TResult Invoke() =>
        Runtime.Run<Call0<TResult>, TResult, HandleTarget>(new(this), new());

    /// <summary>Invokes the function asynchronously (see <see cref="EdgeRuntime.InvokeAsync{TResult}(string, CancellationToken)"/>).</summary>
    /// <param name="ct">The caller's cancellation: passed on to a token-taking handler.</param>
    public ValueTask<TResult> InvokeAsync(CancellationToken ct = default) =>
        Runtime.RunAsync<Call0<TResult>, TResult, HandleTarget>(new(this), new(), ct);
}

/// <summary>
/// A function of one argument resolved once with <see cref="EdgeRuntime.Resolve{T1, TResult}(string)"/>: calls skip the lookup and
/// the shape check. It follows redeploys of its id (calling the new handler); after an undeploy or a redeploy with a
/// handler of another shape its calls throw what invoke-by-id throws.
/// </summary>
/// <typeparam name="T1">The type of argument 1.</typeparam>
/// <typeparam name="TResult">The result type.</typeparam>
public sealed class EdgeFunctionHandle<T1, TResult> : EdgeFunctionHandle
{
    internal EdgeFunctionHandle(EdgeRuntime runtime, string id)
        : base(runtime, id)
    {
        Binding = Bind<Call1<T1, TResult>, TResult>();
    }

    /// <summary>Invokes the function (see <see cref="EdgeRuntime.Invoke{T1, TResult}(string, T1)"/>).</summary>
    /// <param name="a1">Argument 1.</param>
    /// <exception cref="EdgeFunctionNotFoundException">The function was undeployed.</exception>
    /// <exception cref="EdgeTimeoutException">The deadline passed.</exception>
    /// <exception cref="EdgeExecutionException">The function threw.</exception>
    public TResult Invoke(T1 a1) =>
        Runtime.Run<Call1<T1, TResult>, TResult, HandleTarget>(new(this), new(a1));

    /// <summary>Invokes the function asynchronously (see <see cref="EdgeRuntime.InvokeAsync{T1, TResult}(string, T1, CancellationToken)"/>).</summary>
    /// <param name="a1">Argument 1.</param>
    /// <param name="ct">The caller's cancellation: passed on to a token-taking handler.</param>
    public ValueTask<TResult> InvokeAsync(T1 a1, CancellationToken ct = default) =>
        Runtime.RunAsync<Call1<T1, TResult>, TResult, HandleTarget>(new(this), new(a1), ct);
}

/// <summary>
/// A function of two arguments resolved once with <see cref="EdgeRuntime.Resolve{T1, T2, TResult}(string)"/>: calls skip the lookup and
/// the shape check. It follows redeploys of its id (calling the new handler); after an undeploy or a redeploy with a
/// handler of another shape its calls throw what invoke-by-id throws.
/// </summary>
/// <typeparam name="T1">The type of argument 1.</typeparam>
/// <typeparam name="T2">The type of argument 2.</typeparam>
/// <typeparam name="TResult">The result type.</typeparam>
public sealed class EdgeFunctionHandle<T1, T2, TResult> : EdgeFunctionHandle
{
    internal EdgeFunctionHandle(EdgeRuntime runtime, string id)
        : base(runtime, id)
    {
        Binding = Bind<Call2<T1, T2, TResult>, TResult>();
    }

    /// <summary>Invokes the function (see <see cref="EdgeRuntime.Invoke{T1, T2, TResult}(string, T1, T2)"/>).</summary>
    /// <param name="a1">Argument 1.</param>
    /// <param name="a2">Argument 2.</param>
    /// <exception cref="EdgeFunctionNotFoundException">The function was undeployed.</exception>
    /// <exception cref="EdgeTimeoutException">The deadline passed.</exception>
    /// <exception cref="EdgeExecutionException">The function threw.</exception>
    public TResult Invoke(T1 a1, T2 a2) =>
        Runtime.Run<Call2<T1, T2, TResult>, TResult, HandleTarget>(new(this), new(a1, a2));

    /// <summary>Invokes the function asynchronously (see <see cref="EdgeRuntime.InvokeAsync{T1, T2, TResult}(string, T1, T2, CancellationToken)"/>).</summary>
    /// <param name="a1">Argument 1.</param>
    /// <param name="a2">Argument 2.</param>
    /// <param name="ct">The caller's cancellation: passed on to a token-taking handler.</param>
    public ValueTask<TResult> InvokeAsync(T1 a1, T2 a2, CancellationToken ct = default) =>
        Runtime.RunAsync<Call2<T1, T2, TResult>, TResult, HandleTarget>(new(this), new(a1, a2), ct);
}

/// <summary>
/// A function of three arguments resolved once with <see cref="EdgeRuntime.Resolve{T1, T2, T3, TResult}(string)"/>: calls skip the lookup and
/// the shape check. It follows redeploys of its id (calling the new handler); after an undeploy or a redeploy with a
/// handler of another shape its calls throw what invoke-by-id throws.
/// </summary>
/// <typeparam name="T1">The type of argument 1.</typeparam>
/// <typeparam name="T2">The type of argument 2.</typeparam>
/// <typeparam name="T3">The type of argument 3.</typeparam>
/// <typeparam name="TResult">The result type.</typeparam>
public sealed class EdgeFunctionHandle<T1, T2, T3, TResult> : EdgeFunctionHandle
{
    internal EdgeFunctionHandle(EdgeRuntime runtime, string id)
        : base(runtime, id)
    {
        Binding = Bind<Call3<T1, T2, T3, TResult>, TResult>();
    }

    /// <summary>Invokes the function (see <see cref="EdgeRuntime.Invoke{T1, T2, T3, TResult}(string, T1, T2, T3)"/>).</summary>
    /// <param name="a1">Argument 1.</param>
    /// <param name="a2">Argument 2.</param>
    /// <param name="a3">Argument 3.</param>
    /// <exception cref="EdgeFunctionNotFoundException">The function was undeployed.</exception>
    /// <exception cref="EdgeTimeoutException">The deadline passed.</exception>
    /// <exception cref="EdgeExecutionException">The function threw.</exception>
    public TResult Invoke(T1 a1, T2 a2, T3 a3) =>
        Runtime.Run<Call3<T1, T2, T3, TResult>, TResult, HandleTarget>(new(this), new(a1, a2, a3));

    /// <summary>Invokes the function asynchronously (see <see cref="EdgeRuntime.InvokeAsync{T1, T2, T3, TResult}(string, T1, T2, T3, CancellationToken)"/>).</summary>
    /// <param name="a1">Argument 1.</param>
    /// <param name="a2">Argument 2.</param>
    /// <param name="a3">Argument 3.</param>
    /// <param name="ct">The caller's cancellation: passed on to a token-taking handler.</param>
    public ValueTask<TResult> InvokeAsync(T1 a1, T2 a2, T3 a3, CancellationToken ct = default) =>
        Runtime.RunAsync<Call3<T1, T2, T3, TResult>, TResult, HandleTarget>(new(this), new(a1, a2, a3), ct);
}

/// <summary>
/// A function of four arguments resolved once with <see cref="EdgeRuntime.Resolve{T1, T2, T3, T4, TResult}(string)"/>: calls skip the lookup and
/// the shape check. It follows redeploys of its id (calling the new handler); after an undeploy or a redeploy with a
/// handler of another shape its calls throw what invoke-by-id throws.
/// </summary>
/// <typeparam name="T1">The type of argument 1.</typeparam>
/// <typeparam name="T2">The type of argument 2.</typeparam>
/// <typeparam name="T3">The type of argument 3.</typeparam>
/// <typeparam name="T4">The type of argument 4.</typeparam>
/// <typeparam name="TResult">The result type.</typeparam>
public sealed class EdgeFunctionHandle<T1, T2, T3, T4, TResult> : EdgeFunctionHandle
{
    internal EdgeFunctionHandle(EdgeRuntime runtime, string id)
        : base(runtime, id)
    {
        Binding = Bind<Call4<T1, T2, T3, T4, TResult>, TResult>();
    }

    /// <summary>Invokes the function (see <see cref="EdgeRuntime.Invoke{T1, T2, T3, T4, TResult}(string, T1, T2, T3, T4)"/>).</summary>
    /// <param name="a1">Argument 1.</param>
    /// <param name="a2">Argument 2.</param>
    /// <param name="a3">Argument 3.</param>
    /// <param name="a4">Argument 4.</param>
    /// <exception cref="EdgeFunctionNotFoundException">The function was undeployed.</exception>
    /// <exception cref="EdgeTimeoutException">The deadline passed.</exception>
    /// <exception cref="EdgeExecutionException">The function threw.</exception>
    public TResult Invoke(T1 a1, T2 a2, T3 a3, T4 a4) =>
        Runtime.Run<Call4<T1, T2, T3, T4, TResult>, TResult, HandleTarget>(new(this), new(a1, a2, a3, a4));

    /// <summary>Invokes the function asynchronously (see <see cref="EdgeRuntime.InvokeAsync{T1, T2, T3, T4, TResult}(string, T1, T2, T3, T4, CancellationToken)"/>).</summary>
    /// <param name="a1">Argument 1.</param>
    /// <param name="a2">Argument 2.</param>
    /// <param name="a3">Argument 3.</param>
    /// <param name="a4">Argument 4.</param>
    /// <param name="ct">The caller's cancellation: passed on to a token-taking handler.</param>
    public ValueTask<TResult> InvokeAsync(T1 a1, T2 a2, T3 a3, T4 a4, CancellationToken ct = default) =>
        Runtime.RunAsync<Call4<T1, T2, T3, T4, TResult>, TResult, HandleTarget>(new(this), new(a1, a2, a3, a4), ct);
}

