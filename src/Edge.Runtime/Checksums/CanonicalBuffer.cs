using System.Buffers;

namespace Edge.Runtime;

/// <summary>
/// The growable byte buffer canonical JSON is written into: a sealed class (calls devirtualize) with random access to
/// what was written, so an object's members can be reordered in place. One per thread is kept for reuse.
/// </summary>
internal sealed class CanonicalBuffer : IBufferWriter<byte>
{
    // Buffers that grew past this are dropped rather than pinned per thread forever.
    private const int MaxRetainedBytes = 4 * 1024 * 1024;

    [ThreadStatic]
    private static CanonicalBuffer? t_cached;

    private byte[] _buffer;
    private int _count;

    private CanonicalBuffer(int capacity) => _buffer = new byte[capacity];

    public int Count => _count;

    public Span<byte> WrittenSpan => _buffer.AsSpan(0, _count);

    /// <summary>This thread's buffer (empty), or a new one when it is in use.</summary>
    public static CanonicalBuffer Rent()
    {
        var buffer = t_cached ?? new CanonicalBuffer(1024);
        t_cached = null;
        buffer._count = 0;
        return buffer;
    }

    public static void Return(CanonicalBuffer buffer)
    {
        if (buffer._buffer.Length <= MaxRetainedBytes)
        {
            t_cached = buffer;
        }
    }

    public void Advance(int count) => _count += count;

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        if (_buffer.Length - _count < Math.Max(sizeHint, 1))
        {
            Grow(sizeHint);
        }

        return _buffer.AsSpan(_count);
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        GetSpan(sizeHint);
        return _buffer.AsMemory(_count);
    }

    public void Truncate(int count) => _count = count;

    public void Write(byte value)
    {
        if (_count == _buffer.Length)
        {
            Grow(1);
        }

        _buffer[_count++] = value;
    }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        if (_buffer.Length - _count < bytes.Length)
        {
            Grow(bytes.Length);
        }

        bytes.CopyTo(_buffer.AsSpan(_count));
        _count += bytes.Length;
    }

    public void WriteSeparator()
    {
        if (_buffer.Length - _count < 2)
        {
            Grow(2);
        }

        _buffer[_count] = (byte)',';
        _buffer[_count + 1] = (byte)' ';
        _count += 2;
    }

    /// <summary>A copy of what was written (every byte is overwritten, so the array need not be zeroed first: a 1 MB state saves a memset).</summary>
    public byte[] ToArray()
    {
        var copy = GC.AllocateUninitializedArray<byte>(_count);
        WrittenSpan.CopyTo(copy);
        return copy;
    }

    private void Grow(int sizeHint)
    {
        var needed = (long)_count + Math.Max(sizeHint, 1);
        var size = Math.Max(needed, Math.Min((long)_buffer.Length * 2, Array.MaxLength));
        if (needed > Array.MaxLength)
        {
            throw new OutOfMemoryException("Canonical JSON larger than the largest array.");
        }

        Array.Resize(ref _buffer, (int)size);
    }
}
