namespace Aof.Core.Events;

/// <summary>Queue lane. High is served first; low is never starved (see the queue contract).</summary>
public enum Priority
{
    High = 0,
    Normal = 1,
    Low = 2,
}

public static class PriorityNames
{
    public static readonly Priority[] All = [Priority.High, Priority.Normal, Priority.Low];

    public static string ToWire(this Priority p) => p switch
    {
        Priority.High => "high",
        Priority.Low => "low",
        _ => "normal",
    };

    public static bool TryParse(string? value, out Priority priority)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case "high": priority = Priority.High; return true;
            case "normal" or null or "": priority = Priority.Normal; return true;
            case "low": priority = Priority.Low; return true;
            default: priority = Priority.Normal; return false;
        }
    }
}
