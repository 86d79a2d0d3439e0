using System.Threading.Channels;

namespace Edge.Runtime;

/// <summary>What a committed <see cref="SyncChange"/> did.</summary>
public enum SyncChangeKind
{
    /// <summary>A local update (full or delta) made a new local version.</summary>
    LocalUpdate,

    /// <summary>A remote state was applied: it is the new local version.</summary>
    RemoteApplied,

    /// <summary>Pending changes were confirmed (or the remote version advanced); the local state is unchanged.</summary>
    Confirmed,
}

/// <summary>
/// One committed, durable change of an <see cref="EdgeSynchronizer"/>, as its change feed announces it (see
/// <see cref="EdgeSynchronizer.Subscribe"/>). Refused remote states change nothing and are not announced.
/// </summary>
/// <param name="Kind">What happened.</param>
/// <param name="State">The local state after the change (the same immutable object readers get).</param>
/// <param name="Change">The pending change a <see cref="SyncChangeKind.LocalUpdate"/> made; null otherwise.</param>
/// <param name="RemoteVersion">The remote version after the change.</param>
/// <param name="PendingCount">Unconfirmed changes after the change.</param>
public sealed record SyncChange(SyncChangeKind Kind, SyncState State, PendingChange? Change, long RemoteVersion, int PendingCount)
{
    /// <summary>The local version after the change.</summary>
    public long Version => State.Version;
}

/// <summary>
/// A subscription to an <see cref="EdgeSynchronizer"/>'s change feed: <see cref="Start"/> is the local state when it
/// began, and <see cref="Changes"/> yields every change committed after it, once each, in commit order, only once
/// durable. Dispose it to stop; the reader then completes.
/// </summary>
public sealed class SyncSubscription : IDisposable
{
    private readonly Channel<SyncChange> _channel;
    private readonly Action<SyncSubscription> _unsubscribe;

    internal SyncSubscription(SyncState? start, Action<SyncSubscription> unsubscribe)
    {
        // Unbounded: the synchronizer never waits on a subscriber; a change is a few references.
        _channel = Channel.CreateUnbounded<SyncChange>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        Start = start;
        _unsubscribe = unsubscribe;
    }

    /// <summary>The local state when the subscription began (null before the first version).</summary>
    public SyncState? Start { get; }

    /// <summary>Every change committed after <see cref="Start"/>, in order.</summary>
    public ChannelReader<SyncChange> Changes => _channel.Reader;

    /// <summary>Stops the feed; <see cref="Changes"/> completes after the changes already queued.</summary>
    public void Dispose()
    {
        _unsubscribe(this);
        _channel.Writer.TryComplete();
    }

    /// <summary>Queues <paramref name="change"/> (called by the synchronizer under its read lock, in commit order).</summary>
    internal void Post(SyncChange change) => _channel.Writer.TryWrite(change);
}

/// <summary>The outcome of <see cref="EdgeSynchronizer.ApplyRemoteAsync"/>.</summary>
/// <param name="Applied">True when the remote state is the new local state.</param>
/// <param name="Reason">Why it was refused (the detail of its history event); empty when applied.</param>
public readonly record struct RemoteApplyResult(bool Applied, string Reason);
