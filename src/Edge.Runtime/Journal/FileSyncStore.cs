using System.Globalization;

namespace Edge.Runtime;

/// <summary>
/// A crash-safe <see cref="ISyncStore"/>: an append-only journal of checksummed frames, fsynced before a mutating call
/// returns, compacted now and then into a snapshot. Opening it recovers exactly what was acknowledged.
/// </summary>
/// <remarks>
/// <para>Files in the data directory: <c>edge.lock</c> (held while open), <c>snapshot.bin</c> (optional; says which
/// journal generation follows it) and <c>journal-NNNNNNNNNNNN.log</c>. Only the journal whose generation the snapshot
/// names is live (generation 1 without a snapshot); older ones are leftovers of a compaction and are deleted.</para>
/// <para>Compaction: write <c>snapshot.tmp</c>, fsync, rename over <c>snapshot.bin</c>, fsync the directory, then start
/// the next journal generation and delete the old one. A crash before the rename leaves the old snapshot and journal
/// (complete); after it, the new snapshot holds everything and the old journal is stale. Either way nothing is lost.</para>
/// <para>A torn or corrupt tail (a crash mid-append) is cut off and counted. Damage followed by valid frames, or a bad
/// snapshot, cannot come from a crash: opening throws <see cref="JournalCorruptException"/> and touches no file.</para>
/// </remarks>
public sealed class FileSyncStore : ISyncStore
{
    internal const string LockFileName = "edge.lock";
    internal const string SnapshotFileName = "snapshot.bin";
    internal const string SnapshotTempFileName = "snapshot.tmp";
    private const string JournalPrefix = "journal-";
    private const string JournalSuffix = ".log";

    // Recovery reads the live journal into one array; compaction is forced well before it would not fit.
    private const long MaxJournalBytes = int.MaxValue;
    private const long ForcedSnapshotBytes = 1L << 30;

    // A buffer that grew past this for one big record is dropped afterwards.
    private const int RetainedBufferBytes = 1024 * 1024;

    private readonly IJournalFileSystem _fs;
    private readonly FileSyncStoreOptions _options;
    private readonly FileStream _lockFile;
    private readonly Lock _appendLock = new();

    // Guards the group-commit hand-off (_journal, _appended, _durable, _flushing, _fault); Monitor, for Wait/PulseAll.
    private readonly object _gate = new();
    private readonly FrameBuffer _buffer = new(4096);
    private SyncRecovery? _recovery;
    private IJournalFile? _journal;
    private long _generation;
    private long _length;
    private long _recordsSinceSnapshot;
    private long _snapshotDueRecords;
    private long _snapshotDueBytes;
    private long _appended;
    private long _durable;
    private bool _flushing;
    private Exception? _fault;
    private bool _disposed;

    /// <summary>Opens (or creates) the store in <see cref="FileSyncStoreOptions.Directory"/>, locks it and recovers it.</summary>
    /// <exception cref="JournalLockedException">Another process or store has the directory open.</exception>
    /// <exception cref="JournalCorruptException">The journal is damaged in the middle, or the snapshot is damaged.</exception>
    public FileSyncStore(FileSyncStoreOptions options)
        : this(options, DiskJournalFileSystem.Instance)
    {
    }

    internal FileSyncStore(FileSyncStoreOptions options, IJournalFileSystem fileSystem)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Directory);
        ArgumentOutOfRangeException.ThrowIfNegative(options.SnapshotEveryRecords);
        ArgumentOutOfRangeException.ThrowIfNegative(options.SnapshotEveryBytes);
        _options = options;
        _fs = fileSystem;
        DirectoryPath = Path.GetFullPath(options.Directory);
        Directory.CreateDirectory(DirectoryPath);
        _lockFile = AcquireLock(DirectoryPath);
        try
        {
            _recovery = Open();
        }
        catch
        {
            _journal?.Dispose();
            _lockFile.Dispose();
            throw;
        }
    }

    /// <summary>The data directory (full path).</summary>
    public string DirectoryPath { get; }

    /// <summary>How writes are made durable.</summary>
    public JournalDurability Durability => _options.Durability;

    /// <summary>Counters for /metrics.</summary>
    public JournalCounters Counters { get; } = new();

    /// <summary>The live journal generation (advances with each snapshot).</summary>
    internal long Generation => _generation;

    /// <inheritdoc/>
    public bool WantsSnapshot
    {
        get
        {
            lock (_appendLock)
            {
                return !_disposed && _fault is null &&
                    ((_options.SnapshotEveryRecords > 0 && _recordsSinceSnapshot >= _snapshotDueRecords) ||
                     (_options.SnapshotEveryBytes > 0 && _length >= _snapshotDueBytes) ||
                     _length >= ForcedSnapshotBytes);
            }
        }
    }

    internal static string JournalFileName(long generation) =>
        JournalPrefix + generation.ToString("D12", CultureInfo.InvariantCulture) + JournalSuffix;

    /// <inheritdoc/>
    /// <remarks>Returns what was recovered when the store opened, once; a second call throws.</remarks>
    public SyncRecovery Recover()
    {
        lock (_appendLock)
        {
            var recovery = _recovery ?? throw new InvalidOperationException("Recover() hands out the recovered state once, and it was already called.");
            _recovery = null;
            return recovery;
        }
    }

    /// <inheritdoc/>
    /// <exception cref="JournalWriteException">Nothing of the record is stored (the journal is cut back to where it was).</exception>
    public long Append(SyncRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_appendLock)
        {
            ThrowIfUnusable();
            _buffer.Reset();
            _buffer.GetSpan(JournalFrame.HeaderSize);
            _buffer.Advance(JournalFrame.HeaderSize);
            try
            {
                JournalCodec.WriteRecord(_buffer, record);
            }
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException or ArgumentException)
            {
                Counters.AppendFailed();
                throw new JournalWriteException($"{record.Kind} v{record.Version} cannot be journaled: {e.Message}", e);
            }

            var frame = _buffer.WrittenSpan;
            if (frame.Length - JournalFrame.HeaderSize > JournalFrame.MaxPayload || _length + frame.Length > MaxJournalBytes)
            {
                // Recovery could not read such a frame or journal back; refusing it now is the only way not to lose it later.
                Counters.AppendFailed();
                throw new JournalWriteException(
                    $"{record.Kind} v{record.Version} ({frame.Length} bytes journaled) does not fit: frames are limited to " +
                    $"{JournalFrame.MaxPayload} bytes and a journal to {MaxJournalBytes} (now {_length}; see the snapshot failures).");
            }

            JournalFrame.WriteHeader(frame);
            var journal = _journal;
            try
            {
                journal ??= OpenNextJournal();
                journal.Write(frame, _length);
                if (_options.Durability == JournalDurability.PerWrite)
                {
                    Flush(journal);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Counters.AppendFailed();
                if (journal is not null)
                {
                    CutBack(journal, e);
                }

                throw new JournalWriteException(
                    $"Could not append {record.Kind} v{record.Version} to the journal in '{DirectoryPath}': {e.Message} " +
                    "Nothing was stored and the change was not made.", e);
            }

            _length += frame.Length;
            _recordsSinceSnapshot++;
            Counters.Appended();
            if (_buffer.WrittenCount > RetainedBufferBytes)
            {
                _buffer.Trim(4096);
            }

            lock (_gate)
            {
                _appended++;
                if (_options.Durability == JournalDurability.PerWrite)
                {
                    _durable = _appended;
                }

                return _appended;
            }
        }
    }

    /// <inheritdoc/>
    public void WaitDurable(long sequence)
    {
        while (true)
        {
            IJournalFile file;
            long target;
            lock (_gate)
            {
                while (true)
                {
                    if (_durable >= sequence)
                    {
                        return;
                    }

                    if (_fault is not null)
                    {
                        throw Faulted();
                    }

                    if (!_flushing)
                    {
                        break;
                    }

                    Monitor.Wait(_gate);
                }

                // This caller leads: one fsync for everything appended so far, its own record included.
                file = _journal ?? throw new ObjectDisposedException(nameof(FileSyncStore));
                target = _appended;
                _flushing = true;
            }

            try
            {
                file.Flush();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                lock (_gate)
                {
                    _flushing = false;
                    SetFault(e, "fsync of the journal failed");
                    Monitor.PulseAll(_gate);
                }

                throw Faulted();
            }

            Counters.Fsynced();
            lock (_gate)
            {
                _durable = Math.Max(_durable, target);
                _flushing = false;
                Monitor.PulseAll(_gate);
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>Never throws for a failed compaction: every record is already in the journal, which is kept.</remarks>
    public void WriteSnapshot(SyncSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_appendLock)
        {
            if (_disposed || _fault is not null)
            {
                return;
            }

            var nextGeneration = _generation + 1;
            var temp = Path.Combine(DirectoryPath, SnapshotTempFileName);
            var renamed = false;
            try
            {
                _buffer.Reset();
                JournalCodec.SnapshotMagic.CopyTo(_buffer.GetSpan(JournalCodec.SnapshotMagic.Length));
                _buffer.Advance(JournalCodec.SnapshotMagic.Length);
                _buffer.GetSpan(JournalFrame.HeaderSize);
                _buffer.Advance(JournalFrame.HeaderSize);
                JournalCodec.WriteSnapshot(_buffer, snapshot, nextGeneration);
                if (_buffer.WrittenCount - JournalCodec.SnapshotMagic.Length - JournalFrame.HeaderSize > JournalFrame.MaxPayload)
                {
                    throw new InvalidDataException($"the snapshot is {_buffer.WrittenCount} bytes, over the {JournalFrame.MaxPayload} byte limit");
                }

                JournalFrame.WriteHeader(_buffer.WrittenSpan[JournalCodec.SnapshotMagic.Length..]);
                using (var file = _fs.Open(temp, create: true))
                {
                    file.SetLength(0);
                    file.Write(_buffer.WrittenSpan, 0);
                    file.Flush();
                }

                _fs.Move(temp, Path.Combine(DirectoryPath, SnapshotFileName));
                renamed = true;
                _fs.FlushDirectory(DirectoryPath);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or InvalidOperationException)
            {
                Counters.SnapshotFailed();
                if (renamed)
                {
                    // Which snapshot a crash would leave is now unknown: the new one makes the live journal stale, the
                    // old one needs it. Appending more could be lost behind the new one, so stop taking writes.
                    lock (_gate)
                    {
                        SetFault(e, "the directory fsync after renaming a new snapshot failed");
                        Monitor.PulseAll(_gate);
                    }

                    return;
                }

                TryDelete(temp);
                _snapshotDueRecords = _recordsSinceSnapshot + _options.SnapshotEveryRecords;
                _snapshotDueBytes = _length + _options.SnapshotEveryBytes;
                Log($"Snapshot of generation {nextGeneration} failed, the journal is kept and compaction retried later: {e.Message}");
                return;
            }
            finally
            {
                if (_buffer.WrittenCount > RetainedBufferBytes)
                {
                    _buffer.Trim(4096);
                }
            }

            // The new snapshot is durable and holds every record: the live journal is obsolete, and every waiter's
            // record is durable through the snapshot.
            IJournalFile? old;
            lock (_gate)
            {
                while (_flushing)
                {
                    Monitor.Wait(_gate);
                }

                old = _journal;
                _journal = null;
                _durable = _appended;
                Monitor.PulseAll(_gate);
            }

            var oldGeneration = _generation;
            _generation = nextGeneration;
            _length = 0;
            _recordsSinceSnapshot = 0;
            _snapshotDueRecords = _options.SnapshotEveryRecords;
            _snapshotDueBytes = _options.SnapshotEveryBytes;
            Counters.SnapshotWritten();
            old?.Dispose();
            try
            {
                OpenNextJournal();
                _fs.Delete(Path.Combine(DirectoryPath, JournalFileName(oldGeneration)));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Harmless: the next append opens the journal again, and recovery deletes a stale one.
                Log($"After snapshot generation {nextGeneration}: {e.Message}");
            }
        }
    }

    /// <summary>Flushes anything not yet durable, closes the journal and releases the directory lock.</summary>
    public void Dispose()
    {
        lock (_appendLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            IJournalFile? journal;
            lock (_gate)
            {
                while (_flushing)
                {
                    Monitor.Wait(_gate);
                }

                journal = _journal;
                _journal = null;
                if (journal is not null && _fault is null && _appended > _durable)
                {
                    try
                    {
                        journal.Flush();
                        _durable = _appended;
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        SetFault(e, "the final fsync failed");
                    }
                }

                Monitor.PulseAll(_gate);
            }

            journal?.Dispose();
            _lockFile.Dispose();
        }
    }

    private static FileStream AcquireLock(string directory)
    {
        var path = Path.Combine(directory, LockFileName);
        FileStream stream;
        try
        {
            // FileShare.None takes flock(LOCK_EX | LOCK_NB) on Unix: other processes and other stores in this process
            // fail to open it; the kernel releases it when the process dies, even by SIGKILL.
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new JournalLockedException(directory, e);
        }

        try
        {
            // The holder's pid, for whoever finds the directory locked.
            stream.SetLength(0);
            stream.Write(System.Text.Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "\n"));
            stream.Flush();
        }
        catch (IOException)
        {
            // The lock is what matters, not the note.
        }

        return stream;
    }

    private SyncRecovery Open()
    {
        // Everything is read and checked before anything is changed: a refusal must leave the files as they are.
        var snapshotPath = Path.Combine(DirectoryPath, SnapshotFileName);
        SyncSnapshot? snapshot = null;
        long generation = 1;
        if (_fs.Exists(snapshotPath))
        {
            snapshot = ReadSnapshot(snapshotPath, out generation);
        }

        var leftovers = new List<string>();
        foreach (var path in _fs.ListFiles(DirectoryPath))
        {
            var name = Path.GetFileName(path);
            if (name == SnapshotTempFileName)
            {
                leftovers.Add(path);
            }
            else if (TryParseGeneration(name, out var g))
            {
                if (g > generation)
                {
                    throw new JournalCorruptException(path, 0,
                        $"journal generation {g} is newer than the one the snapshot names ({generation}), so a newer snapshot is missing");
                }

                if (g < generation)
                {
                    leftovers.Add(path);
                }
            }
        }

        var journalPath = Path.Combine(DirectoryPath, JournalFileName(generation));
        var exists = _fs.Exists(journalPath);
        var frames = new List<int>();
        byte[] bytes = [];
        long validLength = 0;
        long cut = 0;
        string? tailProblem = null;
        if (exists)
        {
            bytes = _fs.ReadAllBytes(journalPath);
            while (validLength < bytes.Length)
            {
                if (!JournalFrame.TryRead(bytes, validLength, out var payload))
                {
                    var next = JournalFrame.FindNextValid(bytes, validLength);
                    if (next >= 0)
                    {
                        throw new JournalCorruptException(journalPath, validLength,
                            $"a damaged frame ({DescribeDamage(bytes, validLength)}) is followed by a valid frame at offset {next}");
                    }

                    tailProblem = DescribeDamage(bytes, validLength);
                    break;
                }

                try
                {
                    // Checked now, built later one at a time as the synchronizer replays: 100k decoded records at
                    // once would be hundreds of MB of JSON trees kept alive for nothing.
                    JournalCodec.ReadRecord(payload, validateOnly: true);
                    frames.Add((int)validLength);
                }
                catch (Exception e) when (IsDecodeFailure(e))
                {
                    throw new JournalCorruptException(journalPath, validLength, $"a frame with a valid checksum does not decode ({e.Message})", e);
                }

                validLength += JournalFrame.HeaderSize + payload.Length;
            }

            cut = bytes.Length - validLength;
        }

        var journal = _fs.Open(journalPath, create: true);
        try
        {
            if (cut > 0)
            {
                journal.SetLength(validLength);
                journal.Flush();
            }

            foreach (var path in leftovers)
            {
                _fs.Delete(path);
            }

            if (!exists || leftovers.Count > 0)
            {
                _fs.FlushDirectory(DirectoryPath);
            }
        }
        catch
        {
            journal.Dispose();
            throw;
        }

        _journal = journal;
        _generation = generation;
        _length = validLength;
        _recordsSinceSnapshot = frames.Count;
        _snapshotDueRecords = _options.SnapshotEveryRecords;
        _snapshotDueBytes = _options.SnapshotEveryBytes;

        var message = $"Recovered {(snapshot is null ? "no snapshot" : $"snapshot generation {generation}")} and {frames.Count} journal frames from {Path.GetFileName(journalPath)}";
        if (cut > 0)
        {
            message += $"; cut {cut} bytes of torn or corrupt tail at offset {validLength} ({tailProblem})";
        }

        if (leftovers.Count > 0)
        {
            message += $"; removed {leftovers.Count} files left by an interrupted compaction";
        }

        Counters.Recovered(frames.Count, cut, cut > 0, message);
        if (cut > 0)
        {
            Log(message);
        }

        return new SyncRecovery(snapshot, new JournalRecords(journalPath, bytes, frames));
    }

    private SyncSnapshot ReadSnapshot(string path, out long generation)
    {
        var bytes = _fs.ReadAllBytes(path);
        var magic = JournalCodec.SnapshotMagic;
        if (bytes.Length < magic.Length || !bytes.AsSpan(0, magic.Length).SequenceEqual(magic))
        {
            throw new JournalCorruptException(path, 0, "the snapshot header is missing");
        }

        if (!JournalFrame.TryRead(bytes, magic.Length, out var payload))
        {
            throw new JournalCorruptException(path, magic.Length, $"the snapshot frame is damaged ({DescribeDamage(bytes, magic.Length)})");
        }

        var end = magic.Length + JournalFrame.HeaderSize + payload.Length;
        if (end != bytes.Length)
        {
            throw new JournalCorruptException(path, end, $"{bytes.Length - end} unexpected bytes follow the snapshot");
        }

        try
        {
            var snapshot = JournalCodec.ReadSnapshot(payload, out generation);
            if (generation < 1)
            {
                throw new InvalidDataException($"generation {generation}");
            }

            return snapshot;
        }
        catch (Exception e) when (IsDecodeFailure(e))
        {
            throw new JournalCorruptException(path, magic.Length, $"the snapshot does not decode ({e.Message})", e);
        }
    }

    private static string DescribeDamage(ReadOnlySpan<byte> file, long offset)
    {
        var rest = file[(int)offset..];
        if (rest.IndexOfAnyExcept((byte)0) < 0)
        {
            return $"{rest.Length} zero bytes";
        }

        if (rest.Length < JournalFrame.HeaderSize)
        {
            return $"a partial frame header of {rest.Length} bytes";
        }

        var length = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(rest);
        if (length == 0 || length > JournalFrame.MaxPayload)
        {
            return $"an impossible frame length {length}";
        }

        return length > rest.Length - JournalFrame.HeaderSize
            ? $"a frame of {length} bytes with only {rest.Length - JournalFrame.HeaderSize} present"
            : "a checksum mismatch";
    }

    private static bool IsDecodeFailure(Exception e) =>
        e is InvalidDataException or ArgumentException or System.Text.Json.JsonException or FormatException or OverflowException;

    private static bool TryParseGeneration(string name, out long generation)
    {
        generation = 0;
        return name.StartsWith(JournalPrefix, StringComparison.Ordinal) &&
            name.EndsWith(JournalSuffix, StringComparison.Ordinal) &&
            long.TryParse(name.AsSpan(JournalPrefix.Length, name.Length - JournalPrefix.Length - JournalSuffix.Length),
                NumberStyles.None, CultureInfo.InvariantCulture, out generation);
    }

    /// <summary>Creates the live generation's journal; its directory entry is made durable before any record goes in.</summary>
    private IJournalFile OpenNextJournal()
    {
        var file = _fs.Open(Path.Combine(DirectoryPath, JournalFileName(_generation)), create: true);
        try
        {
            _fs.FlushDirectory(DirectoryPath);
            _length = file.Length;
        }
        catch
        {
            file.Dispose();
            throw;
        }

        lock (_gate)
        {
            _journal = file;
        }

        return file;
    }

    private void Flush(IJournalFile journal)
    {
        try
        {
            journal.Flush();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // After a failed fsync the kernel may have dropped the dirty pages; nothing written later can be trusted.
            lock (_gate)
            {
                SetFault(e, "fsync of the journal failed");
            }

            throw;
        }

        Counters.Fsynced();
    }

    /// <summary>Takes a failed append back off the journal, so a half-written frame never sits before later ones.</summary>
    private void CutBack(IJournalFile journal, Exception cause)
    {
        try
        {
            journal.SetLength(_length);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            lock (_gate)
            {
                SetFault(new AggregateException(cause, e), "a failed append could not be cut back off the journal");
            }
        }
    }

    private void SetFault(Exception e, string what)
    {
        if (_fault is null)
        {
            _fault = e;
            Log($"The journal in '{DirectoryPath}' stops taking writes: {what} ({e.Message}). Restart to recover from disk.");
        }
    }

    private JournalWriteException Faulted() => new(
        $"The journal in '{DirectoryPath}' stopped taking writes after a failure ({_fault?.Message}); " +
        "restart the node to recover from what is on disk.", _fault);

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_gate)
        {
            if (_fault is not null)
            {
                throw Faulted();
            }
        }
    }

    private void TryDelete(string path)
    {
        try
        {
            if (_fs.Exists(path))
            {
                _fs.Delete(path);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Recovery removes it.
        }
    }

    private void Log(string line)
    {
        try
        {
            _options.Log?.Invoke(line);
        }
        catch (Exception)
        {
            // A logging callback must not break the store.
        }
    }
}
