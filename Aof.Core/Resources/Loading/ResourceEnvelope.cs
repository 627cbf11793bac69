using System.Text.Json.Nodes;

namespace Aof.Core.Resources.Loading;

/// <summary>The fields every resource shares: apiVersion, kind, metadata and spec.</summary>
internal sealed record ResourceEnvelope(string ApiVersion, string Kind, ResourceMetadata Metadata, JsonObject Spec)
{
    public const string SupportedApiVersion = "aof.dev/v1";

    /// <summary>Reads the envelope; null (with errors added) when the document is not a usable resource.</summary>
    public static ResourceEnvelope? Read(JsonNode? root, DocumentContext ctx)
    {
        if (root is not JsonObject doc)
        {
            ctx.Error(null, "a resource document must be a mapping with apiVersion, kind, metadata and spec", ctx.Map.LineOf(root));
            return null;
        }

        var apiVersion = ctx.String(doc, "apiVersion", "", required: true);
        if (apiVersion is not null && apiVersion != SupportedApiVersion)
        {
            ctx.Error("apiVersion", $"must be {SupportedApiVersion}, not '{apiVersion}'", ctx.LineOf(doc, "apiVersion"));
            apiVersion = null;
        }

        var kind = ctx.String(doc, "kind", "", required: true);
        if (kind is not null && !ResourceKinds.All.Contains(kind, StringComparer.Ordinal))
        {
            ctx.Error("kind", $"unknown kind '{kind}' (known: {string.Join(", ", ResourceKinds.All)})", ctx.LineOf(doc, "kind"));
            kind = null;
        }

        var metadata = ReadMetadata(doc, ctx);

        JsonObject spec;
        switch (doc["spec"])
        {
            case JsonObject s:
                spec = s;
                break;
            case null:
                spec = new JsonObject();
                break;
            default:
                ctx.Error("spec", "must be a mapping", ctx.LineOf(doc, "spec"));
                spec = new JsonObject();
                break;
        }

        return apiVersion is null || kind is null || metadata is null ? null : new ResourceEnvelope(apiVersion, kind, metadata, spec);
    }

    private static ResourceMetadata? ReadMetadata(JsonObject doc, DocumentContext ctx)
    {
        var meta = ctx.Object(doc, "metadata", "", required: false);
        if (meta is null)
        {
            if (doc["metadata"] is null)
            {
                ctx.Error("metadata.name", "required", ctx.Map.LineOf(doc));
            }

            return null;
        }

        var name = ctx.String(meta, "name", "metadata", required: true);
        var ns = ctx.String(meta, "namespace", "metadata", required: false);
        var labels = ctx.StringMap(meta, "labels", "metadata");
        var annotations = ctx.StringMap(meta, "annotations", "metadata");
        return name is null ? null : new ResourceMetadata { Name = name.Trim(), Namespace = ns, Labels = labels, Annotations = annotations };
    }
}
