using System.Globalization;

namespace Aof.Gateway.Platforms.Common;

/// <summary>Replay protection: a signed timestamp must be within five minutes of now, either way.</summary>
public static class TimestampWindow
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    /// <summary>True when <paramref name="unixSeconds"/> is a Unix time in seconds within the window around <paramref name="now"/>.</summary>
    public static bool IsFresh(string? unixSeconds, DateTimeOffset now)
    {
        if (!long.TryParse(unixSeconds, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return false;
        var delta = now.ToUnixTimeSeconds() - seconds;
        return Math.Abs(delta) <= (long)Tolerance.TotalSeconds;
    }
}
