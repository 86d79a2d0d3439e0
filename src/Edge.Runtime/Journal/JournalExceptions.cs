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

/// <summary>A record could not be made durable; the change was not made (see <see cref="JournalDurability"/> for the one exception).</summary>
public sealed class JournalWriteException : IOException
{
    /// <summary>Creates the exception.</summary>
    public JournalWriteException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
