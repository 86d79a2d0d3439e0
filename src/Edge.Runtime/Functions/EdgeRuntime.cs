using System.Buffers;
using Microsoft.Extensions.ObjectPool;

namespace Edge.Runtime;

/// <summary>
/// Runs functions on one node: deploy, invoke (typed or JSON), enforce timeouts, record metrics and warm/cold starts.
/// Invocation is safe for concurrent callers: the function table is copy-on-write, counters are atomic.
/// </summary>
/// <remarks>
/// Timeouts are enforced, not just measured. A handler that takes a <see cref="CancellationToken"/> sees it cancelled
/// at the deadline. An asynchronous handler that is still running at the deadline is abandoned with an
/// <see cref="EdgeTimeoutException"/> (a runaway: counted, and its in-flight slot is held until it really ends). A
/// synchronous handler cannot be abandoned; it is reported as timed out when it returns late, never as a success.
/// <para>
/// A caller that cancels (an HTTP client that went away) ends the invocation with an
/// <see cref="OperationCanceledException"/>: it is counted in <see cref="CancelledCount"/>, never as a runaway, and
/// recorded in <see cref="Metrics"/> as a failed invocation. The cancellation is passed on to a token-taking handler; one
/// that keeps running holds its in-flight slot until it ends, and becomes a runaway too only if it is still running at its
/// own deadline.
/// </para>
/// </remarks>
public sealed partial class EdgeRuntime
{
    private readonly Lock _deployLock = new();
    // One cell per id ever deployed, kept across redeploys and undeploys: it carries the counters and tells resolved
    // handles which deployment is current.
    private readonly Dictionary<string, FunctionCell> _cells = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ObjectPool<CancellationTokenSource> _deadlines;
    private readonly ObjectPool<ArrayBufferWriter<byte>> _jsonBuffers;
    private FunctionTable _table = FunctionTable.Empty;
    private int _coldStarts;
    private int _inFlight;
    private long _runaways;
    private long _cancellations;

    /// <summary>Creates a runtime for <paramref name="node"/>.</summary>
    /// <param name="node">The node it runs on.</param>
    /// <param name="metrics">Where invocations are recorded; a new <see cref="EdgeMetrics"/> when null.</param>
    /// <param name="timeProvider">The clock for deadlines and timestamps.</param>
    public EdgeRuntime(EdgeNode node, EdgeMetrics? metrics = null, TimeProvider? timeProvider = null)
    {
        Node = node ?? throw new ArgumentNullException(nameof(node));
        Metrics = metrics ?? new EdgeMetrics();
        _time = timeProvider ?? TimeProvider.System;
        _deadlines = new DefaultObjectPool<CancellationTokenSource>(new DeadlinePolicy(_time), 64);
        _jsonBuffers = new DefaultObjectPool<ArrayBufferWriter<byte>>(new JsonBufferPolicy(), 64);
    }

    /// <summary>The node this runtime runs on.</summary>
    public EdgeNode Node { get; }

    /// <summary>Where invocations are recorded.</summary>
    public EdgeMetrics Metrics { get; }

    /// <summary>How many functions are deployed.</summary>
    public int FunctionCount => Volatile.Read(ref _table).Sorted.Length;

    /// <summary>Invocations started over the runtime's life.</summary>
    public long TotalInvocations
    {
        get
        {
            // Summed from the per-function counters (kept across redeploys) rather than counted twice on the hot path.
            lock (_deployLock)
            {
                long total = 0;
                foreach (var cell in _cells.Values)
                {
                    total += cell.Invocations;
                }

                return total;
            }
        }
    }

    /// <summary>How many invocations (or warm-ups) found their function cold.</summary>
    public int ColdStartCount => Volatile.Read(ref _coldStarts);

    /// <summary>Invocations running now, runaways included.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>
    /// Asynchronous invocations whose handler was still running at its deadline, not having honoured cancellation: those
    /// abandoned at the deadline, and caller-cancelled ones still running when their deadline passed.
    /// </summary>
    public long RunawayCount => Interlocked.Read(ref _runaways);

    /// <summary>
    /// Invocations ended because the caller cancelled (its <see cref="CancellationToken"/> fired while the handler ran).
    /// Never counted as runaways for that; a call cancelled before it started is not an invocation and is not counted.
    /// </summary>
    public long CancelledCount => Interlocked.Read(ref _cancellations);

    /// <summary>Deploys <paramref name="f"/>, replacing a function with the same id (its counters carry on; it starts cold).</summary>
    public void Deploy(EdgeFunction f)
    {
        ArgumentNullException.ThrowIfNull(f);
        lock (_deployLock)
        {
            if (!_cells.TryGetValue(f.Id, out var cell))
            {
                _cells[f.Id] = cell = new FunctionCell(f.Id);
            }

            var slot = new FunctionSlot(f, cell);
            var slots = new Dictionary<string, FunctionSlot>(_table.Slots, StringComparer.Ordinal)
            {
                [f.Id] = slot,
            };
            Volatile.Write(ref _table, new FunctionTable(slots));
            cell.Publish(slot);
        }
    }

    /// <summary>Removes a function. False when it was not deployed.</summary>
    public bool Undeploy(string functionId)
    {
        lock (_deployLock)
        {
            if (!_table.Slots.TryGetValue(functionId, out var slot))
            {
                return false;
            }

            var slots = new Dictionary<string, FunctionSlot>(_table.Slots, StringComparer.Ordinal);
            slots.Remove(functionId);
            Volatile.Write(ref _table, new FunctionTable(slots));
            slot.Cell.Publish(null);
            return true;
        }
    }

    /// <summary>The deployed functions, ordered by id.</summary>
    public IReadOnlyList<EdgeFunction> ListFunctions() => Volatile.Read(ref _table).Sorted;

    /// <summary>The deployed function with <paramref name="id"/>, or null.</summary>
    public EdgeFunction? GetFunction(string id) =>
        Volatile.Read(ref _table).Find(id)?.Function;

    /// <summary>True when the function has run (or been warmed up) since it was deployed.</summary>
    public bool IsWarm(string id) => Volatile.Read(ref _table).Find(id)?.IsWarm ?? false;

    /// <summary>Marks a function warm without running it. False when it is unknown or already warm.</summary>
    public bool WarmUp(string id)
    {
        if (Volatile.Read(ref _table).Find(id) is not { } slot || !slot.TryWarm())
        {
            return false;
        }

        Interlocked.Increment(ref _coldStarts);
        return true;
    }

    /// <summary>Invocations of one function over the runtime's life (redeploys included).</summary>
    public long InvocationCount(string id)
    {
        lock (_deployLock)
        {
            return _cells.GetValueOrDefault(id)?.Invocations ?? 0;
        }
    }

    /// <summary>Invokes a function with no arguments.</summary>
    public TResult Invoke<TResult>(string id) => Run<Call0<TResult>, TResult, ByIdTarget>(new ByIdTarget(id), new());

    /// <summary>Invokes a function with one argument.</summary>
    public TResult Invoke<T1, TResult>(string id, T1 a1) => Run<Call1<T1, TResult>, TResult, ByIdTarget>(new ByIdTarget(id), new(a1));

    /// <summary>Invokes a function with two arguments.</summary>
    public TResult Invoke<T1, T2, TResult>(string id, T1 a1, T2 a2) =>
        Run<Call2<T1, T2, TResult>, TResult, ByIdTarget>(new ByIdTarget(id), new(a1, a2));

    /// <summary>Invokes a function with three arguments.</summary>
    public TResult Invoke<T1, T2, T3, TResult>(string id, T1 a1, T2 a2, T3 a3) =>
        Run<Call3<T1, T2, T3, TResult>, TResult, ByIdTarget>(new ByIdTarget(id), new(a1, a2, a3));

    /// <summary>Invokes a function with four arguments.</summary>
    public TResult Invoke<T1, T2, T3, T4, TResult>(string id, T1 a1, T2 a2, T3 a3, T4 a4) =>
        Run<Call4<T1, T2, T3, T4, TResult>, TResult, ByIdTarget>(new ByIdTarget(id), new(a1, a2, a3, a4));

    /// <summary>Invokes a function with no arguments, asynchronously.</summary>
    public ValueTask<TResult> InvokeAsync<TResult>(string id, CancellationToken ct = default) =>
        RunAsync<Call0<TResult>, TResult, ByIdTarget>(new ByIdTarget(id), new(), ct);

    /// <summary>Invokes a function with one argument, asynchronously.</summary>
    public ValueTask<TResult> InvokeAsync<T1, TResult>(string id, T1 a1, CancellationToken ct = default) =>
        RunAsync<Call1<T1, TResult>, TResult, ByIdTarget>(new ByIdTarget(id), new(a1), ct);

    /// <summary>Invokes a function with two arguments, asynchronously.</summary>
    public ValueTask<TResult> InvokeAsync<T1, T2, TResult>(string id, T1 a1, T2 a2, CancellationToken ct = default) =>
        RunAsync<Call2<T1, T2, TResult>, TResult, ByIdTarget>(new ByIdTarget(id), new(a1, a2), ct);

    /// <summary>Invokes a function with three arguments, asynchronously.</summary>
    public ValueTask<TResult> InvokeAsync<T1, T2, T3, TResult>(string id, T1 a1, T2 a2, T3 a3, CancellationToken ct = default) =>
        RunAsync<Call3<T1, T2, T3, TResult>, TResult, ByIdTarget>(new ByIdTarget(id), new(a1, a2, a3), ct);

    /// <summary>Invokes a function with four arguments, asynchronously.</summary>
    public ValueTask<TResult> InvokeAsync<T1, T2, T3, T4, TResult>(string id, T1 a1, T2 a2, T3 a3, T4 a4, CancellationToken ct = default) =>
        RunAsync<Call4<T1, T2, T3, T4, TResult>, TResult, ByIdTarget>(new ByIdTarget(id), new(a1, a2, a3, a4), ct);

    /// <summary>
    /// Invokes a function through its JSON entry point: <paramref name="utf8Arguments"/> is a JSON object keyed by
    /// parameter name; the JSON result is appended to <paramref name="utf8Result"/> only on success (nothing for void).
    /// </summary>
    /// <exception cref="EdgeFunctionNotFoundException">No such function.</exception>
    /// <exception cref="EdgeBindingException">The arguments do not fit.</exception>
    /// <exception cref="EdgeTimeoutException">The deadline passed.</exception>
    /// <exception cref="EdgeExecutionException">The function threw.</exception>
    public async ValueTask InvokeJsonAsync(
        string id,
        ReadOnlyMemory<byte> utf8Arguments,
        IBufferWriter<byte> utf8Result,
        CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(utf8Result);

        // The handler writes into a private buffer: a runaway still writing after its deadline must not touch the caller's.
        var buffer = _jsonBuffers.Get();
        var completed = false;
        try
        {
            await RunAsync<JsonCall, bool, ByIdTarget>(new ByIdTarget(id), new JsonCall(utf8Arguments, buffer), ct).ConfigureAwait(false);
            completed = true;
            utf8Result.Write(buffer.WrittenSpan);
        }
        finally
        {
            if (completed)
            {
                _jsonBuffers.Return(buffer);
            }
        }
    }

    internal TResult Run<TCall, TResult, TTarget>(TTarget target, TCall call)
        where TCall : struct, IHandlerCall<TResult>
        where TTarget : struct, IFunctionTarget
    {
        var binding = target.Bind<TCall, TResult>(this);
        var slot = Enter(binding.Slot);
        var id = slot.Function.Id;
        var start = _time.GetTimestamp();
        var deadline = binding.Kind.TakesToken() ? RentDeadline(slot.Timeout) : null;
        var runaway = false;
        try
        {
            var pending = call.Invoke(binding.Kind, slot.Function, deadline?.Token ?? default);
            TResult result;
            if (pending.IsCompleted)
            {
                result = pending.GetAwaiter().GetResult();
            }
            else
            {
                var task = pending.AsTask();
                var remaining = slot.Timeout - _time.GetElapsedTime(start);
                try
                {
                    result = task.WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _time).GetAwaiter().GetResult();
                }
                catch (TimeoutException) when (!task.IsCompleted)
                {
                    runaway = true;
                    Interlocked.Increment(ref _runaways);
                    ReleaseWhenDone(task, deadline);
                    throw Failed(slot, start, new EdgeTimeoutException(id, slot.Timeout));
                }
                catch (TimeoutException) when (task.IsCompleted)
                {
                    // The handler ended (often cancelled by the deadline) just as the wait timed out: its own outcome decides.
                    result = task.GetAwaiter().GetResult();
                }
            }

            var elapsed = _time.GetElapsedTime(start);
            if (elapsed > slot.Timeout)
            {
                throw Failed(slot, start, new EdgeTimeoutException(id, slot.Timeout));
            }

            Succeeded(slot, elapsed);
            return result;
        }
        catch (OperationCanceledException) when (deadline is { IsCancellationRequested: true })
        {
            throw Failed(slot, start, new EdgeTimeoutException(id, slot.Timeout));
        }
        catch (Exception ex) when (ex is not (EdgeTimeoutException or EdgeBindingException))
        {
            throw Failed(slot, start, EdgeExecutionException.For(id, ex));
        }
        catch (EdgeBindingException ex)
        {
            throw Failed(slot, start, ex);
        }
        finally
        {
            if (!runaway)
            {
                ReturnDeadline(deadline);
                Exit();
            }
        }
    }

    internal async ValueTask<TResult> RunAsync<TCall, TResult, TTarget>(TTarget target, TCall call, CancellationToken ct)
        where TCall : struct, IHandlerCall<TResult>
        where TTarget : struct, IFunctionTarget
    {
        ct.ThrowIfCancellationRequested();
        var binding = target.Bind<TCall, TResult>(this);
        var slot = Enter(binding.Slot);
        var id = slot.Function.Id;
        var start = _time.GetTimestamp();
        var deadline = binding.Kind.TakesToken() ? RentDeadline(slot.Timeout) : null;
        var link = deadline is not null && ct.CanBeCanceled
            ? ct.UnsafeRegister(static s => CancelQuietly((CancellationTokenSource)s!), deadline)
            : default;

        // Abandoned: the call returns while the handler still runs (a runaway, or a caller that left); the handler's end releases the slot.
        var abandoned = false;
        try
        {
            var pending = call.Invoke(binding.Kind, slot.Function, deadline?.Token ?? default);
            TResult result;
            if (pending.IsCompleted)
            {
                result = pending.GetAwaiter().GetResult();
            }
            else
            {
                var task = pending.AsTask();
                var remaining = slot.Timeout - _time.GetElapsedTime(start);
                try
                {
                    result = await task.WaitAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, _time, ct).ConfigureAwait(false);
                }
                catch (Exception ex) when (!task.IsCompleted && ex is TimeoutException or OperationCanceledException)
                {
                    abandoned = true;
                    if (ex is TimeoutException)
                    {
                        Interlocked.Increment(ref _runaways);
                        ReleaseWhenDone(task, deadline);
                        throw Failed(slot, start, new EdgeTimeoutException(id, slot.Timeout));
                    }

                    // The caller left: a cancellation, not a runaway. Pass it on now, as the link to its token is
                    // disposed below, maybe before it fired.
                    Interlocked.Increment(ref _cancellations);
                    deadline?.Cancel();
                    ReleaseWhenDone(task, deadline);
                    WatchDeadline(task, slot.Timeout - _time.GetElapsedTime(start));
                    throw Failed(slot, start, ex);
                }
                catch (TimeoutException) when (task.IsCompleted)
                {
                    // The handler ended (often cancelled by the deadline) just as the wait timed out: its own outcome decides.
                    result = await task.ConfigureAwait(false);
                }
            }

            var elapsed = _time.GetElapsedTime(start);
            if (elapsed > slot.Timeout)
            {
                throw Failed(slot, start, new EdgeTimeoutException(id, slot.Timeout));
            }

            Succeeded(slot, elapsed);
            return result;
        }
        catch (OperationCanceledException ex) when (!abandoned && ct.IsCancellationRequested)
        {
            // The handler ended on the caller's cancellation (passed on through its token).
            Interlocked.Increment(ref _cancellations);
            throw Failed(slot, start, ex);
        }
        catch (OperationCanceledException) when (!abandoned && deadline is { IsCancellationRequested: true })
        {
            throw Failed(slot, start, new EdgeTimeoutException(id, slot.Timeout));
        }
        catch (Exception ex) when (!abandoned && ex is not (EdgeTimeoutException or EdgeBindingException))
        {
            throw Failed(slot, start, EdgeExecutionException.For(id, ex));
        }
        catch (EdgeBindingException ex) when (!abandoned)
        {
            throw Failed(slot, start, ex);
        }
        finally
        {
            await link.DisposeAsync().ConfigureAwait(false);
            if (!abandoned)
            {
                ReturnDeadline(deadline);
                Exit();
            }
        }
    }

    private FunctionSlot Enter(FunctionSlot slot)
    {
        Interlocked.Increment(ref _inFlight);
        slot.Cell.Increment();
        if (!slot.IsWarm && slot.TryWarm())
        {
            Interlocked.Increment(ref _coldStarts);
        }

        return slot;
    }

    /// <summary>Binds a typed call to a slot: the shape check, once per slot and call type (or per handle and deployment).</summary>
    internal static FunctionBinding Bind<TCall, TResult>(FunctionSlot slot)
        where TCall : struct, IHandlerCall<TResult>
    {
        var kind = TCall.Bind(slot.Function);
        if (kind == HandlerKind.None)
        {
            throw new ArgumentException(
                typeof(TCall) != typeof(JsonCall)
                    ? $"Function '{slot.Function.Id}' has a handler of type {TypeNames.Describe(slot.Function.Handler.GetType())}, which cannot be called as {TCall.Signature}."
                    : $"Function '{slot.Function.Id}' has no JSON entry point; deploy it through the generated EdgeFunctionTable.",
                "id");
        }

        return new FunctionBinding(slot, kind, typeof(TCall));
    }

    /// <summary>The by-id path: one lookup, then the slot's cached binding for this call type.</summary>
    internal FunctionBinding BindById<TCall, TResult>(string id)
        where TCall : struct, IHandlerCall<TResult>
    {
        ArgumentNullException.ThrowIfNull(id);
        var slot = Volatile.Read(ref _table).Find(id) ?? throw new EdgeFunctionNotFoundException(id);
        if (typeof(TCall) == typeof(JsonCall))
        {
            // Not cached: a host mixing JSON and typed calls of one function would otherwise rebind on every switch.
            return slot.Json ?? Bind<TCall, TResult>(slot);
        }

        var binding = slot.LastBinding;
        if (binding is null || binding.Call != typeof(TCall))
        {
            slot.LastBinding = binding = Bind<TCall, TResult>(slot);
        }

        return binding;
    }

    /// <summary>The cell of a deployed function, for a handle; throws as invoke-by-id does when it is not deployed.</summary>
    internal FunctionCell CellOf(string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        var slot = Volatile.Read(ref _table).Find(id) ?? throw new EdgeFunctionNotFoundException(id);
        return slot.Cell;
    }

    private void Exit() => Interlocked.Decrement(ref _inFlight);

    // The hot path: counters resolved once per slot, one clock read (the caller's), no record built.
    private void Succeeded(FunctionSlot slot, TimeSpan elapsed) =>
        Metrics.RecordResolved(slot.Cell.Counters ??= Metrics.Resolve(slot.Function.Id, Node.Id), elapsed.TotalMilliseconds, success: true);

    private Exception Failed(FunctionSlot slot, long start, Exception error)
    {
        Metrics.Record(new InvocationRecord(slot.Function.Id, Node.Id, _time.GetElapsedTime(start).TotalMilliseconds, false)
        {
            Timestamp = _time.GetUtcNow(),
            Error = error.Message,
        });
        return error;
    }

    /// <summary>Relays the caller's cancellation; a runaway's deadline source may already be disposed when it fires.</summary>
    private static void CancelQuietly(CancellationTokenSource deadline)
    {
        try
        {
            deadline.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    /// <summary>Keeps an abandoned handler's in-flight slot (and its deadline source) until the handler really ends.</summary>
    private void ReleaseWhenDone(Task task, CancellationTokenSource? deadline)
    {
        task.ContinueWith(
            static (t, state) =>
            {
                _ = t.Exception; // observed: a runaway's late failure has no caller left to see it
                var (runtime, deadline) = ((EdgeRuntime, CancellationTokenSource?))state!;
                deadline?.Dispose();
                runtime.Exit();
            },
            (this, deadline),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>
    /// A caller-cancelled handler that is still running: counted as a runaway at its deadline if it has not ended by then
    /// (it ignored the cancellation passed on to it and overran its budget too). Only on the cancellation path.
    /// </summary>
    private void WatchDeadline(Task task, TimeSpan untilDeadline)
    {
        task.WaitAsync(untilDeadline > TimeSpan.Zero ? untilDeadline : TimeSpan.Zero, _time).ContinueWith(
            static (wait, state) =>
            {
                // A TimeoutException means the deadline came first; anything else (its result, its failure) is the handler ending in time.
                if (wait.Exception?.InnerException is TimeoutException)
                {
                    Interlocked.Increment(ref ((EdgeRuntime)state!)._runaways);
                }
            },
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private CancellationTokenSource RentDeadline(TimeSpan timeout)
    {
        var cts = _deadlines.Get();
        cts.CancelAfter(timeout);
        return cts;
    }

    private void ReturnDeadline(CancellationTokenSource? cts)
    {
        if (cts is not null)
        {
            _deadlines.Return(cts);
        }
    }

    /// <summary>The JSON entry point as a typed call, so it shares deadlines, metrics and error mapping.</summary>
    internal readonly struct JsonCall(ReadOnlyMemory<byte> arguments, ArrayBufferWriter<byte> result) : IHandlerCall<bool>
    {
        public static string Signature => "InvokeJsonAsync";

        public static HandlerKind Bind(EdgeFunction function) =>
            function.JsonHandler is null ? HandlerKind.None : HandlerKind.Json;

        public ValueTask<bool> Invoke(HandlerKind kind, EdgeFunction function, CancellationToken token) =>
            VoidResult.Of<bool>(function.JsonHandler!(arguments, result, token));
    }

    /// <summary>
    /// An immutable snapshot of the deployed functions; readers need no lock. A plain dictionary that is never written
    /// after publication rather than a frozen one: freezing analyses the keys on every deploy, and deploys across a
    /// fleet (DeployToAll) paid ~1 µs per node for a lookup that is no faster for a handful of ids.
    /// </summary>
    internal sealed class FunctionTable
    {
        public static readonly FunctionTable Empty = new(new Dictionary<string, FunctionSlot>(StringComparer.Ordinal));

        public FunctionTable(Dictionary<string, FunctionSlot> slots)
        {
            Slots = slots;
            var sorted = new EdgeFunction[slots.Count];
            var i = 0;
            foreach (var slot in slots.Values)
            {
                sorted[i++] = slot.Function;
            }

            Array.Sort(sorted, static (a, b) => string.CompareOrdinal(a.Id, b.Id));
            Sorted = sorted;
        }

        public Dictionary<string, FunctionSlot> Slots { get; }

        public EdgeFunction[] Sorted { get; }

        public FunctionSlot? Find(string id) => Slots.TryGetValue(id, out var slot) ? slot : null;
    }

    /// <summary>One deployment of a function: replaced as a whole on redeploy, so its identity is the deploy version.</summary>
    internal sealed class FunctionSlot
    {
        private int _warm;

        public FunctionSlot(EdgeFunction function, FunctionCell cell)
        {
            Function = function;
            Cell = cell;
            Timeout = function.Timeout;
            Json = function.JsonHandler is null ? null : new FunctionBinding(this, HandlerKind.Json, typeof(JsonCall));
        }

        public EdgeFunction Function { get; }

        public FunctionCell Cell { get; }

        public TimeSpan Timeout { get; }

        /// <summary>The JSON entry point's binding, when the function has one.</summary>
        public FunctionBinding? Json { get; }

        /// <summary>The binding the last typed by-id call used (racy by design: every writer writes an equivalent value).</summary>
        public FunctionBinding? LastBinding { get; set; }

        public bool IsWarm => Volatile.Read(ref _warm) != 0;

        /// <summary>True for the one caller that turns the slot warm.</summary>
        public bool TryWarm() => Volatile.Read(ref _warm) == 0 && Interlocked.Exchange(ref _warm, 1) == 0;
    }

    private sealed class DeadlinePolicy(TimeProvider time) : PooledObjectPolicy<CancellationTokenSource>
    {
        public override CancellationTokenSource Create() => new(Timeout.InfiniteTimeSpan, time);

        // A source that fired (or is still armed and fires later) cannot be reused; TryReset refuses it.
        public override bool Return(CancellationTokenSource obj) => obj.TryReset();
    }

    private sealed class JsonBufferPolicy : PooledObjectPolicy<ArrayBufferWriter<byte>>
    {
        public override ArrayBufferWriter<byte> Create() => new(1024);

        public override bool Return(ArrayBufferWriter<byte> obj)
        {
            if (obj.Capacity > 1024 * 1024)
            {
                return false;
            }

            obj.ResetWrittenCount();
            return true;
        }
    }
}
