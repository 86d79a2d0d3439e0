using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Edge.Host.Tls;

/// <summary>
/// PEM certificate files, as openssl, step-ca, cert-manager and Let's Encrypt write them: the HTTPS certificate, the
/// MQTT client certificate (mutual TLS) and the CA that signs the broker's certificate.
/// </summary>
public static class PemFiles
{
    /// <summary>A certificate with its private key from <paramref name="certificatePath"/> and <paramref name="keyPath"/> (PKCS#8, PKCS#1 or SEC1 PEM).</summary>
    /// <exception cref="PemFileException">A file cannot be read, holds no certificate, or the key does not belong to it.</exception>
    public static X509Certificate2 LoadCertificate(string certificatePath, string keyPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(certificatePath);
        ArgumentException.ThrowIfNullOrEmpty(keyPath);
        try
        {
            return X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new PemFileException($"cannot load the certificate '{certificatePath}' with the key '{keyPath}': {e.Message}", e);
        }
    }

    /// <summary>Every certificate in <paramref name="path"/> (a CA bundle).</summary>
    /// <exception cref="PemFileException">The file cannot be read or holds no certificate.</exception>
    public static X509Certificate2Collection LoadCertificates(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var certificates = new X509Certificate2Collection();
        try
        {
            certificates.ImportFromPemFile(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new PemFileException($"cannot load the certificates of '{path}': {e.Message}", e);
        }

        return certificates.Count > 0 ? certificates : throw new PemFileException($"'{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)", null);
    }
}

/// <summary>A PEM file that cannot be used; the message names the file and the reason.</summary>
public sealed class PemFileException(string message, Exception? inner) : IOException(message, inner);
