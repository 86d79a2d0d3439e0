namespace Edge.Runtime;

/// <summary>
/// Stored state is damaged where a crash cannot have damaged it (the middle of the journal, or the snapshot), so the
/// store refuses to open. Nothing was changed on disk: the files are left as evidence.
/// </summary>
public sealed class JournalCorruptException : IOException
{
    /// <summary>Creates the exception.</summary>
    public JournalCorruptException(string filePath, long offset, string problem, Exception? inner = null)
        : base($"Journal data is corrupt in '{filePath}' at offset {offset}: {problem}. The node refuses to start so the evidence is kept; " +
               "restore the data directory from a backup, or move the file away to start from what remains.", inner)
    {
        FilePath = filePath;
        Offset = offset;
    }

    /// <summary>The damaged file.</summary>
    public string FilePath { get; }

    /// <summary>Where in it the damage starts.</summary>
    public long Offset { get; }
}

/// <summary>Another process or store holds the data directory's lock file.</summary>
public sealed class JournalLockedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public JournalLockedException(string directory, Exception? inner = null)
        : base($"The data directory '{directory}' is in use by another process or store (its lock file edge.lock is held).", inner)
    {
        Directory = directory;
    }

    /// <summary>The locked data directory.</summary>
    public string Directory { get; }
}

/// <summary>A record could not be made durable; the change was not made (nothing built on it becomes visible either).</summary>
public sealed class JournalWriteException : IOException
{
    /// <summary>Creates the exception.</summary>
    public JournalWriteException(string message, Exception? inner = null)
        : this(message, inner, outOfSpace: false)
    {
    }

    /// <summary>Creates the exception, saying whether the disk refused the write for space.</summary>
    public JournalWriteException(string message, Exception? inner, bool outOfSpace)
        : base(message, inner)
    {
        OutOfSpace = outOfSpace;
    }

    /// <summary>
    /// True when the disk holding the journal was full (or the quota used up): the write was rolled back, the store
    /// keeps working and the same call succeeds once space is freed. False for every other failure, including an
    /// fsync that reported the disk full (that one stops the store, see <see cref="FileSyncStore.FaultReason"/>).
    /// </summary>
    public bool OutOfSpace { get; }
}

/// <summary>
/// The store stopped taking writes after a failure it cannot undo (a failed fsync, or a failed append that could not be
/// cut back off the journal). Nothing is written any more; restarting the node recovers from what is on disk.
/// </summary>
public sealed class JournalFaultedException : IOException
{
    /// <summary>Creates the exception; <paramref name="reason"/> is its message.</summary>
    public JournalFaultedException(string reason, Exception? inner = null)
        : base(reason, inner)
    {
    }
}

/// <summary>The data directory was written by a newer release, in a journal format this one cannot read.</summary>
public sealed class JournalFormatException : IOException
{
    /// <summary>Creates the exception.</summary>
    public JournalFormatException(string directory, int format, int supported)
        : base($"The data directory '{directory}' holds journal format {format}, written by a newer release; this release reads " +
               $"formats 1 to {supported}. Run the release that wrote it (or newer); the files are left as they are.")
    {
        Directory = directory;
        Format = format;
    }

    /// <summary>The data directory.</summary>
    public string Directory { get; }

    /// <summary>The format it records.</summary>
    public int Format { get; }
}
