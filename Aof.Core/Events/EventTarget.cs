namespace Aof.Core.Events;

public enum TargetKind
{
    Agent,
    Fleet,
    Flow,
}

/// <summary>What a trigger binds an event to: an Agent, an AgentFleet or an AgentFlow, by name.</summary>
public sealed record EventTarget(TargetKind Kind, string Name)
{
    public string KindWire => Kind switch
    {
        TargetKind.Agent => "agent",
        TargetKind.Fleet => "fleet",
        _ => "flow",
    };

    public static bool TryParseKind(string? value, out TargetKind kind)
    {
        switch (value?.ToLowerInvariant())
        {
            case "agent": kind = TargetKind.Agent; return true;
            case "fleet": kind = TargetKind.Fleet; return true;
            case "flow": kind = TargetKind.Flow; return true;
            default: kind = TargetKind.Flow; return false;
        }
    }

    public override string ToString() => $"{KindWire}/{Name}";
}
