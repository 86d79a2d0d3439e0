using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;
using Edge.Runtime;
using MQTTnet;
using MQTTnet.Protocol;

namespace Edge.Host.Broker;

/// <summary>
/// The embedded broker's retained messages on disk: one file per topic (named by the SHA-256 of the topic), replaced
/// atomically (temp file, fsync, rename, directory fsync) when its message changes and deleted when it is cleared. A
/// change costs that one message, however many topics the fleet retains.
/// </summary>
/// <remarks>
/// File: "EDGERET1", QoS (1 byte), topic length (u16) + topic, content type length (u16) + content type, payload
/// length (u32) + payload, CRC-32 of everything before it (u32). A file that fails its check is moved aside as
/// <c>*.corrupt</c> and reported: a broker that refuses to start would take the fleet down for a cache the nodes
/// republish on connect.
/// </remarks>
internal sealed class RetainedStore(string directory)
{
    private static ReadOnlySpan<byte> Magic => "EDGERET1"u8;

    public string Directory { get; } = directory;

    /// <summary>Reads every stored message; <paramref name="corrupt"/> lists the files moved aside.</summary>
    public List<MqttApplicationMessage> Load(out List<string> corrupt)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var messages = new List<MqttApplicationMessage>();
        corrupt = [];
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*.retained"))
        {
            if (Decode(File.ReadAllBytes(path)) is { } message)
            {
                messages.Add(message);
            }
            else
            {
                File.Move(path, path + ".corrupt", overwrite: true);
                corrupt.Add(path);
            }
        }

        foreach (var temp in System.IO.Directory.EnumerateFiles(Directory, "*.tmp"))
        {
            File.Delete(temp); // a write a crash interrupted before its rename: the previous file is still whole
        }

        return messages;
    }

    /// <summary>Stores <paramref name="message"/> durably, or deletes its topic's file when its payload is empty (MQTT's "clear").</summary>
    public void Save(MqttApplicationMessage message)
    {
        var path = PathOf(message.Topic);
        if (message.Payload.IsEmpty)
        {
            if (File.Exists(path))
            {
                File.Delete(path);
                DirectoryFlush.Flush(Directory);
            }

            return;
        }

        var temp = path + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            file.Write(Encode(message));
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        DirectoryFlush.Flush(Directory);
    }

    /// <summary>Deletes every stored message (the broker's "clear all retained").</summary>
    public void Clear()
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory, "*.retained"))
        {
            File.Delete(path);
        }

        DirectoryFlush.Flush(Directory);
    }

    private string PathOf(string topic) =>
        Path.Combine(Directory, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(topic))) + ".retained");

    internal static byte[] Encode(MqttApplicationMessage message)
    {
        var topic = Encoding.UTF8.GetBytes(message.Topic);
        var contentType = Encoding.UTF8.GetBytes(message.ContentType ?? "");
        var payloadLength = checked((int)message.Payload.Length);
        var bytes = new byte[Magic.Length + 1 + 2 + topic.Length + 2 + contentType.Length + 4 + payloadLength + 4];
        var at = 0;
        Magic.CopyTo(bytes);
        at += Magic.Length;
        bytes[at++] = (byte)message.QualityOfServiceLevel;
        at = Put(bytes, at, topic, 2);
        at = Put(bytes, at, contentType, 2);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), (uint)payloadLength);
        at += 4;
        message.Payload.CopyTo(bytes.AsSpan(at));
        at += payloadLength;
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(at), Crc32.HashToUInt32(bytes.AsSpan(0, at)));
        return bytes;
    }

    internal static MqttApplicationMessage? Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < Magic.Length + 1 + 2 + 2 + 4 + 4 || !bytes.StartsWith(Magic)
            || BinaryPrimitives.ReadUInt32LittleEndian(bytes[^4..]) != Crc32.HashToUInt32(bytes[..^4]))
        {
            return null;
        }

        var body = bytes[Magic.Length..^4];
        var qos = body[0];
        body = body[1..];
        if (qos > 2 || !Take(ref body, 2, out var topic) || !Take(ref body, 2, out var contentType) || !Take(ref body, 4, out var payload)
            || !body.IsEmpty || topic.IsEmpty)
        {
            return null;
        }

        return new MqttApplicationMessage
        {
            Topic = Encoding.UTF8.GetString(topic),
            ContentType = contentType.IsEmpty ? null : Encoding.UTF8.GetString(contentType),
            QualityOfServiceLevel = (MqttQualityOfServiceLevel)qos,
            Payload = new ReadOnlySequence<byte>(payload.ToArray()),
            Retain = true,
        };
    }

    private static int Put(byte[] bytes, int at, byte[] value, int prefix)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(at), checked((ushort)value.Length));
        value.CopyTo(bytes, at + prefix);
        return at + prefix + value.Length;
    }

    /// <summary>Takes a field behind its little-endian length of <paramref name="prefix"/> (2 or 4) bytes.</summary>
    private static bool Take(ref ReadOnlySpan<byte> body, int prefix, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (body.Length < prefix)
        {
            return false;
        }

        long length = prefix == 2 ? BinaryPrimitives.ReadUInt16LittleEndian(body) : BinaryPrimitives.ReadUInt32LittleEndian(body);
        if (length > body.Length - prefix)
        {
            return false;
        }

        value = body.Slice(prefix, (int)length);
        body = body[(prefix + (int)length)..];
        return true;
    }
}
