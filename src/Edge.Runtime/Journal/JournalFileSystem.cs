using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Edge.Runtime;

/// <summary>
/// Every disk operation <see cref="FileSyncStore"/> performs, so tests can fail or "kill" it at any single step
/// (disk full mid-write, failed fsync, a crash between rename and directory fsync, ...).
/// </summary>
internal interface IJournalFileSystem
{
    bool Exists(string path);

    IReadOnlyList<string> ListFiles(string directory);

    /// <summary>Opens <paramref name="path"/> for reading and writing; creates it (empty) when <paramref name="create"/>.</summary>
    IJournalFile Open(string path, bool create);

    byte[] ReadAllBytes(string path);

    /// <summary>Opens <paramref name="path"/> for reading front to back (recovery streams the journal through it).</summary>
    Stream OpenRead(string path);

    /// <summary>Renames over an existing file; atomic on POSIX file systems.</summary>
    void Move(string source, string destination);

    void Delete(string path);

    /// <summary>Makes creations, renames and deletions in <paramref name="directory"/> durable.</summary>
    void FlushDirectory(string directory);
}

/// <summary>One open file of the store.</summary>
internal interface IJournalFile : IDisposable
{
    string Path { get; }

    long Length { get; }

    void Write(ReadOnlySpan<byte> data, long offset);

    /// <summary>fsync: returns once everything written is on stable storage.</summary>
    void Flush();

    void SetLength(long length);
}

/// <summary>The real file system.</summary>
internal sealed class DiskJournalFileSystem : IJournalFileSystem
{
    public static readonly DiskJournalFileSystem Instance = new();

    public bool Exists(string path) => File.Exists(path);

    public IReadOnlyList<string> ListFiles(string directory) => Directory.GetFiles(directory);

    public IJournalFile Open(string path, bool create) => new DiskJournalFile(
        path,
        File.OpenHandle(path, create ? FileMode.OpenOrCreate : FileMode.Open, FileAccess.ReadWrite, FileShare.Read));

    public byte[] ReadAllBytes(string path) => File.ReadAllBytes(path);

    // No FileStream buffer: the frame reader reads into its own, in large chunks.
    public Stream OpenRead(string path) => new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);

    public void Move(string source, string destination) => File.Move(source, destination, overwrite: true);

    public void Delete(string path) => File.Delete(path);

    public void FlushDirectory(string directory) => DirectoryFlush.Flush(directory);

    private sealed class DiskJournalFile(string path, SafeFileHandle handle) : IJournalFile
    {
        public string Path { get; } = path;

        public long Length => RandomAccess.GetLength(handle);

        public void Write(ReadOnlySpan<byte> data, long offset) => RandomAccess.Write(handle, data, offset);

        public void Flush() => RandomAccess.FlushToDisk(handle);

        public void SetLength(long length) => RandomAccess.SetLength(handle, length);

        public void Dispose() => handle.Dispose();
    }
}

/// <summary>Recognises the disk refusing a write for space.</summary>
internal static class DiskErrors
{
    // .NET on Unix turns a failed syscall into IOException(message, errno): HResult is the raw errno (checked: a pwrite
    // or ftruncate on a full tmpfs throws IOException with HResult 28). On Windows it is the HRESULT of the Win32 error.
    private const int Enospc = 28;
    private const int EdquotLinux = 122;
    private const int EdquotBsd = 69; // macOS and the BSDs
    private const int WinDiskFull = unchecked((int)0x80070070); // ERROR_DISK_FULL
    private const int WinHandleDiskFull = unchecked((int)0x80070027); // ERROR_HANDLE_DISK_FULL

    /// <summary>True when <paramref name="e"/> says the file system is full or the user's quota is used up.</summary>
    public static bool IsOutOfSpace(Exception e)
    {
        if (e is not IOException io)
        {
            return false;
        }

        var code = io.HResult;
        if (OperatingSystem.IsWindows())
        {
            return code is WinDiskFull or WinHandleDiskFull;
        }

        return code == Enospc || code == (OperatingSystem.IsLinux() ? EdquotLinux : EdquotBsd);
    }
}

/// <summary>
/// fsync of a directory. .NET refuses to open a directory as a file (UnauthorizedAccessException), so this calls
/// libc directly. The signatures are blittable (int, byte[]), which needs no runtime marshalling and stays AOT-safe
/// without unsafe code (LibraryImport would require AllowUnsafeBlocks).
/// </summary>
internal static class DirectoryFlush
{
    private const int ORdOnly = 0;

    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            // NTFS makes metadata operations durable through its own log; there is no directory handle to flush.
            return;
        }

        var path = Encoding.UTF8.GetBytes(Path.GetFullPath(directory) + "\0");
        // Plain O_RDONLY opens a directory on every Unix (O_DIRECTORY's value differs between x64 and arm64).
        var fd = Native.Open(path, ORdOnly);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory '{directory}' to fsync it (errno {Marshal.GetLastPInvokeError()}).");
        }

        try
        {
            if (Native.Fsync(fd) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                // EINVAL: the file system cannot fsync directories (some network/FUSE mounts); nothing more can be done there.
                if (errno != 22)
                {
                    // No errno in HResult on purpose: a directory fsync that fails for space is a failed fsync, not a refused write.
                    throw new IOException($"fsync of directory '{directory}' failed (errno {errno}).");
                }
            }
        }
        finally
        {
            _ = Native.Close(fd);
        }
    }

    private static class Native
    {
        [DllImport("libc", EntryPoint = "open", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Open(byte[] path, int flags);

        [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Fsync(int fd);

        [DllImport("libc", EntryPoint = "close", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Close(int fd);
    }
}
