namespace Edge.Runtime;

/// <summary>
/// A local update was refused because the local version is already <see cref="SyncState.MaxVersion"/>: the next
/// version could not be read exactly by JSON peers. Nothing was changed. (The HTTP host answers 409.)
/// </summary>
public sealed class SyncVersionExhaustedException : InvalidOperationException
{
    /// <summary>Creates the exception for a node whose local version is <paramref name="localVersion"/>.</summary>
    public SyncVersionExhaustedException(long localVersion)
        : base($"The local version is {localVersion}, the highest a state can have ({SyncState.MaxVersion}, 2^53-1, the largest integer " +
               "every JSON peer reads exactly); no further local update can be made.")
    {
        LocalVersion = localVersion;
    }

    /// <summary>The local version when the update was refused.</summary>
    public long LocalVersion { get; }
}
