using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;

namespace Edge.Runtime;

/// <summary>
/// A journal frame: <c>[u32 length][u32 checksum][payload]</c>, little-endian. The checksum covers the length field and
/// the payload, so a damaged length is caught even when it happens to point inside the file.
/// </summary>
/// <remarks>
/// Checksum choice: CRC-32 (IEEE 802.3) from System.IO.Hashing. System.IO.Hashing 10.0 has no CRC-32C; of what it
/// has (Crc32, Crc64, XxHash32/64/3/128), a CRC is the one with guarantees for this failure model: it detects every
/// burst error up to 32 bits, and every 1-3 bit error in frames up to ~11 KB, where xxHash only promises a 2^-32 miss
/// rate with no burst guarantee. Crc64 would add detection strength a torn-write detector does not need, for 4 more
/// bytes a frame. .NET vectorises Crc32 (PCLMULQDQ on x64, PMULL on arm64), so it runs at GB/s and costs nothing next
/// to the fsync. A zero-filled header never verifies: its length 0 is refused, and CRC-32 of zero bytes is not 0.
/// </remarks>
internal static class JournalFrame
{
    public const int HeaderSize = 8;

    /// <summary>Frames larger than this are not believed: such a length is a damaged header.</summary>
    public const int MaxPayload = 256 * 1024 * 1024;

    /// <summary>Writes the header for the payload already written at <c>buffer[HeaderSize..]</c>.</summary>
    public static void WriteHeader(Span<byte> frame)
    {
        var payloadLength = frame.Length - HeaderSize;
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)payloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(frame[4..], Checksum(frame[..4], frame[HeaderSize..]));
    }

    /// <summary>True when a whole, verified frame starts at <paramref name="offset"/>; then <paramref name="payload"/> is its payload.</summary>
    public static bool TryRead(ReadOnlySpan<byte> file, long offset, out ReadOnlySpan<byte> payload)
    {
        payload = default;
        if (file.Length - offset < HeaderSize)
        {
            return false;
        }

        var header = file.Slice((int)offset, HeaderSize);
        var length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        if (length == 0 || length > MaxPayload || length > file.Length - offset - HeaderSize)
        {
            return false;
        }

        var body = file.Slice((int)offset + HeaderSize, (int)length);
        if (BinaryPrimitives.ReadUInt32LittleEndian(header[4..]) != Checksum(header[..4], body))
        {
            return false;
        }

        payload = body;
        return true;
    }

    /// <summary>The offset of the first verified frame after <paramref name="offset"/>, or -1: tells a torn tail from damage in the middle.</summary>
    public static long FindNextValid(ReadOnlySpan<byte> file, long offset)
    {
        for (var candidate = offset + 1; candidate <= file.Length - HeaderSize; candidate++)
        {
            if (TryRead(file, candidate, out _))
            {
                return candidate;
            }
        }

        return -1;
    }

    private static uint Checksum(ReadOnlySpan<byte> lengthField, ReadOnlySpan<byte> payload)
    {
        var crc = new Crc32();
        crc.Append(lengthField);
        crc.Append(payload);
        return crc.GetCurrentHashAsUInt32();
    }
}

/// <summary>A growable buffer that frames are built in; reused by one writer, never shared.</summary>
internal sealed class FrameBuffer : IBufferWriter<byte>
{
    private byte[] _buffer;
    private int _written;

    public FrameBuffer(int capacity = 1024) => _buffer = new byte[capacity];

    public int WrittenCount => _written;

    public Span<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public void Reset() => _written = 0;

    /// <summary>Drops a large buffer after a big frame so one huge state does not pin memory forever.</summary>
    public void Trim(int keep)
    {
        if (_buffer.Length > keep)
        {
            _buffer = new byte[keep];
        }

        _written = 0;
    }

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        var needed = Math.Max(sizeHint, 1);
        if (_buffer.Length - _written >= needed)
        {
            return;
        }

        var size = Math.Max(_buffer.Length * 2, _written + needed);
        Array.Resize(ref _buffer, size);
    }
}
