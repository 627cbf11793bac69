namespace Aof.AppHost.Publishing.Kubernetes;

/// <summary>
/// Where the settings of the Kubernetes objects come from. The kubernetes publisher writes the model's values as
/// they are (<see cref="LiteralValues"/>); the Helm publisher writes the same objects with each setting replaced
/// by a reference into values.yaml, whose default is the model's value (<see cref="Helm.HelmValues"/>).
/// </summary>
public abstract class ValueSource
{
    /// <summary>The namespace objects live in (and broker host names are qualified with, for KEDA's operator).</summary>
    public abstract string Namespace { get; }

    /// <summary>A whole scalar: the model's <paramref name="value"/>, or a reference to <c>.Values.{path}</c>.</summary>
    public abstract object Value(string path, object value);

    /// <summary>
    /// A whole scalar computed by a template expression (<paramref name="template"/>) over the values it declares;
    /// <paramref name="literal"/> is what the model gives.
    /// </summary>
    public abstract object Computed(string template, object literal, params (string Path, object Value)[] declares);
}

/// <summary>The model's values, written as they are.</summary>
public sealed class LiteralValues(string ns) : ValueSource
{
    public override string Namespace { get; } = ns;

    public override object Value(string path, object value) => value;

    public override object Computed(string template, object literal, params (string Path, object Value)[] declares) => literal;
}
