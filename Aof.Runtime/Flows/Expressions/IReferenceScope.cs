using System.Text.Json.Nodes;

namespace Aof.Runtime.Flows.Expressions;

/// <summary>What <c>${...}</c> references and condition operands are looked up in (the running flow's event and node outputs).</summary>
public interface IReferenceScope
{
    /// <summary>
    /// False when the root is not something this scope knows (then a template leaves <c>${...}</c> as written,
    /// which keeps shell variables in Script commands intact). True with a null value when the root is known
    /// but the path leads nowhere.
    /// </summary>
    bool TryResolve(ReferencePath path, out JsonNode? value);

    /// <summary>Fallback for a bare name in a condition (<c>severity == "critical"</c>): a field of the previous node's output.</summary>
    JsonNode? ResolveBare(ReferencePath path);
}
