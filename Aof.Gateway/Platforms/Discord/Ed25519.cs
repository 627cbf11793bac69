using System.Runtime.InteropServices;

namespace Aof.Gateway.Platforms.Discord;

/// <summary>
/// Ed25519 (RFC 8032) through libsodium, which the host image provides (libsodium23); .NET has no Ed25519 of
/// its own. libsodium's verification runs in constant time with respect to the signature's validity.
/// </summary>
public static partial class Ed25519
{
    public const int PublicKeyBytes = 32;
    public const int SecretKeyBytes = 64;
    public const int SeedBytes = 32;
    public const int SignatureBytes = 64;

    private const string Library = "libsodium.so.23";
    private static readonly Lazy<bool> Initialized = new(() => sodium_init() >= 0);

    public static bool Verify(ReadOnlySpan<byte> signature, ReadOnlySpan<byte> message, ReadOnlySpan<byte> publicKey)
    {
        if (signature.Length != SignatureBytes || publicKey.Length != PublicKeyBytes) return false;
        EnsureInitialized();
        return crypto_sign_verify_detached(signature, message, (ulong)message.Length, publicKey) == 0;
    }

    /// <summary>The public key of a 32-byte seed (RFC 8032's "secret key"); for tests and senders.</summary>
    public static byte[] PublicKeyFromSeed(ReadOnlySpan<byte> seed)
    {
        var (pk, _) = KeyPair(seed);
        return pk;
    }

    /// <summary>Signs with the key pair of a 32-byte seed; for tests and senders.</summary>
    public static byte[] Sign(ReadOnlySpan<byte> message, ReadOnlySpan<byte> seed)
    {
        var (_, sk) = KeyPair(seed);
        var signature = new byte[SignatureBytes];
        if (crypto_sign_detached(signature, out _, message, (ulong)message.Length, sk) != 0)
            throw new InvalidOperationException("libsodium could not sign");
        return signature;
    }

    private static (byte[] Public, byte[] Secret) KeyPair(ReadOnlySpan<byte> seed)
    {
        if (seed.Length != SeedBytes) throw new ArgumentException($"an Ed25519 seed has {SeedBytes} bytes", nameof(seed));
        EnsureInitialized();
        var pk = new byte[PublicKeyBytes];
        var sk = new byte[SecretKeyBytes];
        if (crypto_sign_seed_keypair(pk, sk, seed) != 0) throw new InvalidOperationException("libsodium could not derive the key pair");
        return (pk, sk);
    }

    private static void EnsureInitialized()
    {
        if (!Initialized.Value) throw new InvalidOperationException("libsodium failed to initialize");
    }

    [LibraryImport(Library)]
    private static partial int sodium_init();

    [LibraryImport(Library)]
    private static partial int crypto_sign_verify_detached(ReadOnlySpan<byte> sig, ReadOnlySpan<byte> m, ulong mlen, ReadOnlySpan<byte> pk);

    [LibraryImport(Library)]
    private static partial int crypto_sign_seed_keypair(Span<byte> pk, Span<byte> sk, ReadOnlySpan<byte> seed);

    [LibraryImport(Library)]
    private static partial int crypto_sign_detached(Span<byte> sig, out ulong siglen, ReadOnlySpan<byte> m, ulong mlen, ReadOnlySpan<byte> sk);
}
