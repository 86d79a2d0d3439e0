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
/// snapshot, cannot come from a crash: opening throws <see cref="JournalCorruptException"/> and touches no file. A live
/// journal missing next to its snapshot (deleted) is reported and counted (<see cref="JournalCounters.MissingJournals"/>).</para>
/// <para>A full disk (ENOSPC, EDQUOT from a write, a truncate or creating a file) refuses that write only: it is cut back
/// off the journal, memory is unchanged, <see cref="JournalWriteException.OutOfSpace"/> is set, and writes succeed again
/// once space is freed; a snapshot refused for space keeps the old files. A failed fsync, whatever its errno, stops the
/// store (<see cref="FaultReason"/>, <see cref="JournalFaultedException"/>) until a restart.</para>
/// </remarks>
public sealed class FileSyncStore : ISyncStore
{
    internal const string LockFileName = "edge.lock";
    internal const string SnapshotFileName = "snapshot.bin";
    internal const string SnapshotTempFileName = "snapshot.tmp";

    /// <summary>Holds the journal format of the data directory (absent: format 1, the release before it was recorded).</summary>
    internal const string FormatFileName = "format";
    internal const int Format = 2;
    private const string JournalPrefix = "journal-";
    private const string JournalSuffix = ".log";

    // Frame offsets are longs, but a journal this long is compacted well before (and would take long to replay).
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

    // Asynchronous waiters parked on a flush under way (under _gate), completed by whoever finishes the flush that covers them.
    private readonly List<(long Sequence, TaskCompletionSource Waiter)> _waiters = [];
    private SyncRecovery? _recovery;
    private IJournalFile? _journal;
    private long _generation;
    private long _length;
    private long _recordsSinceSnapshot;
    private long _snapshotDueRecords;
    private long _snapshotDueBytes;

    // The state's canonical size as of the last record (an upper bound after deltas), for the size policy.
    private long _stateBytes;
    private long _appended;
    private long _durable;
    private bool _flushing;
    private Exception? _fault;
    private string? _faultReason;

    // A failed append whose cut-back was refused for space: the torn frame past _length is cut off before the next write.
    private bool _cutBackPending;
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
        ArgumentOutOfRangeException.ThrowIfNegative(options.SnapshotStateMultiple);
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

    /// <summary>
    /// Null while the store takes writes. Once it stopped (a failed fsync of the journal or of the directory after a
    /// snapshot, or a failed append that could not be cut back off the journal), one English sentence: what failed, and
    /// that restarting the node recovers from what is on disk. Writes then throw <see cref="JournalFaultedException"/>.
    /// A disk that is merely full does not stop the store (see <see cref="JournalWriteException.OutOfSpace"/>).
    /// </summary>
    public string? FaultReason
    {
        get
        {
            lock (_gate)
            {
                return _faultReason;
            }
        }
    }

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
                     (_options.SnapshotEveryBytes > 0 && _length >= _snapshotDueBytes && _length >= _options.SnapshotStateMultiple * _stateBytes) ||
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
    /// <exception cref="JournalWriteException">Nothing of the record is stored (the journal is cut back to where it was);
    /// <see cref="JournalWriteException.OutOfSpace"/> says the disk was full, and the store keeps working.</exception>
    /// <exception cref="JournalFaultedException">The store stopped taking writes earlier (see <see cref="FaultReason"/>).</exception>
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
                if (journal is not null && _cutBackPending)
                {
                    // The torn frame of an earlier failed append is still past _length: take it off before writing.
                    journal.SetLength(_length);
                    _cutBackPending = false;
                }

                journal ??= OpenNextJournal();
                journal.Write(frame, _length);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw WriteRefused(record, journal, e);
            }

            if (_options.Durability == JournalDurability.PerWrite)
            {
                try
                {
                    journal.Flush();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    throw FsyncFailed(record, journal, e);
                }

                Counters.Fsynced();
            }

            _length += frame.Length;
            _recordsSinceSnapshot++;
            _stateBytes = record.State is { } state ? state.Canonical.Length
                : record.Change is { IsDelta: true } delta ? _stateBytes + delta.Canonical.Length
                : _stateBytes;
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
                    CompleteWaiters();
                }

                return _appended;
            }
        }
    }

    /// <inheritdoc/>
    public void WaitDurable(long sequence)
    {
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
                    throw NotDurable();
                }

                if (!_flushing)
                {
                    break;
                }

                Monitor.Wait(_gate);
            }

            _flushing = true;
        }

        // This caller leads: one fsync for everything appended so far, its own record included.
        LeadFlushes();
        lock (_gate)
        {
            if (_durable < sequence)
            {
                throw Undurable();
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// A waiter that finds a flush under way parks no thread: it is completed by whoever finishes the flush that covers
    /// it. One that finds none leads one on its own thread (the fsync has to run somewhere), so concurrent requests
    /// share fsyncs and only one thread is ever in one.
    /// </remarks>
    public ValueTask WaitDurableAsync(long sequence)
    {
        lock (_gate)
        {
            if (_durable >= sequence)
            {
                return ValueTask.CompletedTask;
            }

            if (_fault is not null)
            {
                return ValueTask.FromException(NotDurable());
            }

            if (_flushing)
            {
                var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((sequence, waiter));
                return new ValueTask(waiter.Task);
            }

            _flushing = true;
        }

        LeadFlushes();
        lock (_gate)
        {
            return _durable >= sequence ? ValueTask.CompletedTask : ValueTask.FromException(Undurable());
        }
    }

    /// <summary>
    /// One group commit: fsync everything appended, publish the new durable sequence and complete the waiters it
    /// covers. Waiters for records appended during that fsync get the next one, led by a thread-pool thread so this
    /// caller, whose record is durable now, goes on. Called with <see cref="_flushing"/> set by the caller, which makes
    /// it the only flusher until the lead ends.
    /// </summary>
    private void LeadFlushes()
    {
        IJournalFile? file;
        long target;
        lock (_gate)
        {
            file = _journal;
            target = _appended;
            if (file is null || _fault is not null || _durable >= target)
            {
                // A snapshot made everything durable meanwhile, nothing new was appended, or nothing can be flushed
                // any more (disposed, faulted): FinishFlushing settles whoever is left.
                FinishFlushing();
                return;
            }
        }

        try
        {
            file.Flush();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ObjectDisposedException)
        {
            lock (_gate)
            {
                SetFault(e, FsyncFailure(e));
                FinishFlushing();
                return;
            }
        }

        Counters.Fsynced();
        lock (_gate)
        {
            _durable = Math.Max(_durable, target);
            CompleteWaiters();
            if (_waiters.Count == 0)
            {
                FinishFlushing();
                return;
            }

            Monitor.PulseAll(_gate);
        }

        ThreadPool.UnsafeQueueUserWorkItem(static store => store.LeadFlushes(), this, preferLocal: false);
    }

    /// <summary>Ends the lead (under <see cref="_gate"/>): wakes the synchronous waiters and settles the asynchronous ones.</summary>
    private void FinishFlushing()
    {
        _flushing = false;
        CompleteWaiters();
        if (_waiters.Count > 0 && (_fault is not null || _journal is null))
        {
            // Nobody will flush for them any more: a faulted store takes no writes, a disposed one has no journal.
            var failure = Undurable();
            foreach (var (_, waiter) in _waiters)
            {
                waiter.TrySetException(failure);
            }

            _waiters.Clear();
        }

        Monitor.PulseAll(_gate);
    }

    /// <summary>Why a waiter's record will not become durable (under <see cref="_gate"/>).</summary>
    private Exception Undurable() => _fault is not null ? NotDurable() : new ObjectDisposedException(nameof(FileSyncStore));

    /// <summary>Completes every asynchronous waiter whose record is durable now (under <see cref="_gate"/>).</summary>
    private void CompleteWaiters()
    {
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Sequence <= _durable)
            {
                _waiters[i].Waiter.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }

    /// <inheritdoc/>
    public long DurableSequence
    {
        get
        {
            lock (_gate)
            {
                return _durable;
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

                // Refused for space or not, snapshot.tmp goes and snapshot.bin and the live journal stay in charge.
                if (DiskErrors.IsOutOfSpace(e))
                {
                    Counters.OutOfSpaceWrite();
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
                CompleteWaiters();
                Monitor.PulseAll(_gate);
            }

            var oldGeneration = _generation;
            _generation = nextGeneration;
            _length = 0;
            _cutBackPending = false;
            _recordsSinceSnapshot = 0;
            _snapshotDueRecords = _options.SnapshotEveryRecords;
            _snapshotDueBytes = _options.SnapshotEveryBytes;
            _stateBytes = snapshot.Local?.Canonical.Length ?? 0;
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
                if (journal is not null && _cutBackPending)
                {
                    try
                    {
                        journal.SetLength(_length);
                        _cutBackPending = false;
                    }
                    catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                    {
                        // Still no room: the next open cuts the torn frame off (it is past every acknowledged record).
                    }
                }

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

                FinishFlushing();
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
        var formatRecorded = CheckFormat();
        var snapshotPath = Path.Combine(DirectoryPath, SnapshotFileName);
        SyncSnapshot? snapshot = null;
        long generation = 1;
        if (_fs.Exists(snapshotPath))
        {
            snapshot = ReadSnapshot(snapshotPath, out generation);
        }

        var leftovers = new List<string>();
        var previousJournalExists = false;
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
                    previousJournalExists |= g == generation - 1;
                }
            }
        }

        var journalPath = Path.Combine(DirectoryPath, JournalFileName(generation));
        var exists = _fs.Exists(journalPath);

        // A compaction creates the next journal (and fsyncs the directory) before it deletes the old one, so the live
        // journal can be absent next to its snapshot only while the previous generation's is still there (the node
        // died between the rename and creating the new journal: nothing was written after the snapshot yet). Without
        // that, someone deleted it, and whatever was acknowledged after the snapshot is gone. Without a snapshot a
        // missing journal-1 cannot be told from a new data directory.
        var journalMissing = snapshot is not null && !exists && !previousJournalExists;
        long frames = 0;
        long validLength = 0;
        long cut = 0;
        string? tailProblem = null;
        if (exists)
        {
            // Checked now frame by frame, decoded again later one at a time as the synchronizer replays: neither the
            // file nor 100k decoded records are ever in memory at once.
            using var reader = new JournalFrameReader(_fs.OpenRead(journalPath));
            while (true)
            {
                var read = reader.Next(out var payload);
                if (read == FrameRead.End)
                {
                    break;
                }

                if (read == FrameRead.Damaged)
                {
                    // Only here is the rest of the file read at once: a torn tail is a frame or less, and damage in
                    // the middle refuses the open anyway.
                    var rest = reader.ReadRest();
                    var next = JournalFrame.FindNextValid(rest, 0);
                    if (next >= 0)
                    {
                        throw new JournalCorruptException(journalPath, validLength,
                            $"a damaged frame ({DescribeDamage(rest, 0)}) is followed by a valid frame at offset {validLength + next}");
                    }

                    tailProblem = DescribeDamage(rest, 0);
                    cut = rest.Length;
                    break;
                }

                try
                {
                    JournalCodec.ReadRecord(payload, validateOnly: true);
                    frames++;
                }
                catch (Exception e) when (IsDecodeFailure(e))
                {
                    throw new JournalCorruptException(journalPath, validLength, $"a frame with a valid checksum does not decode ({e.Message})", e);
                }

                validLength = reader.Offset;
            }
        }

        var journal = _fs.Open(journalPath, create: true);
        try
        {
            if (cut > 0)
            {
                journal.SetLength(validLength);
                journal.Flush();
            }

            if (!exists)
            {
                // The new live journal is durable before a leftover goes: a crash in between must not leave neither.
                _fs.FlushDirectory(DirectoryPath);
            }

            foreach (var path in leftovers)
            {
                _fs.Delete(path);
            }

            if (leftovers.Count > 0)
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
        _stateBytes = snapshot?.Local?.Canonical.Length ?? 0;
        if (!formatRecorded)
        {
            RecordFormat();
        }

        _length = validLength;
        _recordsSinceSnapshot = frames;
        _snapshotDueRecords = _options.SnapshotEveryRecords;
        _snapshotDueBytes = _options.SnapshotEveryBytes;

        var message = $"Recovered {(snapshot is null ? "no snapshot" : $"snapshot generation {generation}")} and {frames} journal frames from {Path.GetFileName(journalPath)}";
        if (cut > 0)
        {
            message += $"; cut {cut} bytes of torn or corrupt tail at offset {validLength} ({tailProblem})";
        }

        if (leftovers.Count > 0)
        {
            message += $"; removed {leftovers.Count} files left by an interrupted compaction";
        }

        if (journalMissing)
        {
            message += $"; the live journal {Path.GetFileName(journalPath)} was missing next to the snapshot (deleted?): " +
                "changes acknowledged after that snapshot, if any, are lost, and the node goes on from the snapshot";
        }

        Counters.Recovered(frames, cut, cut > 0, journalMissing, message);
        if (cut > 0 || journalMissing)
        {
            Log(message);
        }

        return new SyncRecovery(snapshot, new JournalRecords(_fs, journalPath, frames));
    }

    /// <summary>True when the directory already records this release's format; refuses one written by a newer release.</summary>
    private bool CheckFormat()
    {
        var path = Path.Combine(DirectoryPath, FormatFileName);
        if (!_fs.Exists(path))
        {
            // Format 1 (or a new directory): its frames read as they are, and new frames are format 2.
            return false;
        }

        var text = System.Text.Encoding.ASCII.GetString(_fs.ReadAllBytes(path)).Trim();
        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var format) || format < 1)
        {
            throw new JournalCorruptException(path, 0, $"the format file holds '{text}', not a journal format number");
        }

        if (format > Format)
        {
            throw new JournalFormatException(DirectoryPath, format, Format);
        }

        return format == Format;
    }

    /// <summary>Records format 2 (temp file, fsync, rename, directory fsync). A failure is logged; the next open retries.</summary>
    private void RecordFormat()
    {
        var temp = Path.Combine(DirectoryPath, FormatFileName + ".tmp");
        try
        {
            using (var file = _fs.Open(temp, create: true))
            {
                file.SetLength(0);
                file.Write(System.Text.Encoding.ASCII.GetBytes($"{Format}\n"), 0);
                file.Flush();
            }

            _fs.Move(temp, Path.Combine(DirectoryPath, FormatFileName));
            _fs.FlushDirectory(DirectoryPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only a downgrade needs the file (to refuse clearly rather than stumble on format-2 frames).
            TryDelete(temp);
            Log($"Recording journal format {Format} in '{DirectoryPath}' failed, retried at the next start: {e.Message}");
        }
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

    /// <summary>A write (or opening the journal) failed: cut the journal back and say why nothing was stored.</summary>
    private JournalWriteException WriteRefused(SyncRecord record, IJournalFile? journal, Exception e)
    {
        Counters.AppendFailed();
        var usable = journal is null || CutBack(journal, e);
        if (usable && DiskErrors.IsOutOfSpace(e))
        {
            Counters.OutOfSpaceWrite();
            return new JournalWriteException(
                $"The disk holding '{DirectoryPath}' is full: {record.Kind} v{record.Version} could not be appended to the journal ({e.Message}). " +
                "Nothing was stored and the change was not made; writes succeed again once space is freed.", e, outOfSpace: true);
        }

        var message = $"Could not append {record.Kind} v{record.Version} to the journal in '{DirectoryPath}': {e.Message} " +
            "Nothing was stored and the change was not made.";
        return new JournalWriteException(usable ? message : message + " " + FaultReason, e);
    }

    /// <summary>The per-write fsync failed: the store stops, the record is cut back off as far as that still helps.</summary>
    private JournalWriteException FsyncFailed(SyncRecord record, IJournalFile journal, Exception e)
    {
        lock (_gate)
        {
            SetFault(e, FsyncFailure(e));
        }

        Counters.AppendFailed();
        CutBack(journal, e);
        return new JournalWriteException(
            $"Could not make {record.Kind} v{record.Version} durable in '{DirectoryPath}': {e.Message} The change was not made. {FaultReason}", e);
    }

    /// <summary>
    /// What a failed fsync of the journal stops the store with. A failed fsync is never retried, whatever the errno:
    /// the kernel may have dropped the dirty pages and marked them clean, so a second fsync can "succeed" without them
    /// (PostgreSQL makes the same call since 2018). ENOSPC from fsync itself is such a failure, not a refused write:
    /// with delayed allocation (ext4, XFS) or on NFS, space is only claimed at writeback, after write() reported the
    /// bytes written, and earlier acknowledged frames may be among the pages lost. Only a restart, reading the file
    /// back, knows what is on disk.
    /// </summary>
    private static string FsyncFailure(Exception e) => DiskErrors.IsOutOfSpace(e)
        ? "fsync of the journal failed because the disk is full (written data may have been dropped, so it is not retried)"
        : "fsync of the journal failed";

    /// <summary>
    /// Takes a failed append back off the journal, so a half-written frame never sits before later ones. False when
    /// that failed for a reason other than space, which stops the store.
    /// </summary>
    private bool CutBack(IJournalFile journal, Exception cause)
    {
        try
        {
            journal.SetLength(_length);
            _cutBackPending = false;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (DiskErrors.IsOutOfSpace(e))
            {
                // Shrinking can need space too (the file system's own journal, a quota). The torn frame lies past every
                // acknowledged one: the next append cuts it off before writing, and recovery cuts it off as a torn tail
                // if the node dies first. Nothing stored is at risk, so the store keeps working.
                _cutBackPending = true;
                Log($"A failed append could not be cut back off the journal in '{DirectoryPath}' yet ({e.Message}); the next write retries.");
                return true;
            }

            lock (_gate)
            {
                SetFault(new AggregateException(cause, e), "a failed append could not be cut back off the journal");
            }

            return false;
        }
    }

    private void SetFault(Exception e, string what)
    {
        if (_fault is null)
        {
            _fault = e;
            _faultReason = $"The journal in '{DirectoryPath}' stopped taking writes: {what} ({e.Message}). " +
                "Restart the node to recover from what is on disk.";
            Log(_faultReason);
        }
    }

    /// <summary>For a caller whose record was appended but whose fsync failed (its own or the shared one). Under _gate.</summary>
    private JournalWriteException NotDurable()
    {
        Counters.AppendFailed();
        return new JournalWriteException(
            $"The change could not be made durable and is not applied. {_faultReason}", _fault);
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        lock (_gate)
        {
            if (_fault is not null)
            {
                Counters.AppendFailed();
                throw new JournalFaultedException(_faultReason!, _fault);
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
