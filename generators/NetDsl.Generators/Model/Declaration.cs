namespace NetDsl.Generators.Model;

// The parse stage's output: what the user wrote, attribute by attribute, before any checking.
// Only strings, numbers, enums and equatable arrays, so equal declarations compare equal and the
// pipeline can skip work; locations are kept only so diagnostics can point at the attribute.

/// <summary>A class marked <c>[Network]</c>, with its layer attributes in the order written.</summary>
internal sealed record NetworkDeclaration(
    string? Namespace,
    string ClassName,
    string FullName,
    bool IsPartial,
    bool IsNested,
    bool IsGeneric,
    LocationInfo? ClassLocation,
    LocationInfo? NetworkAttributeLocation,
    int Loss,
    EquatableArray<Argument> NetworkArguments,
    EquatableArray<LayerDeclaration> Layers);

/// <summary>One layer attribute (<c>[Input]</c>, <c>[Dense]</c>, ...) with its arguments by parameter or property name.</summary>
internal sealed record LayerDeclaration(
    LayerKind Kind,
    string AttributeName,
    LocationInfo? Location,
    EquatableArray<Argument> Arguments)
{
    public Argument? Find(string name)
    {
        foreach (Argument argument in Arguments)
        {
            if (argument.Name == name)
                return argument;
        }
        return null;
    }

    public int GetInt(string name, int fallback = 0) => Find(name) is { } a ? (int)a.Integer : fallback;

    public float GetFloat(string name, float fallback) => Find(name) is { } a ? (float)a.Real : fallback;

    public string? GetString(string name) => Find(name)?.Text;
}

/// <summary>
/// An attribute argument. Integers and enum values land in <see cref="Integer"/>, floating-point values in
/// <see cref="Real"/>, strings in <see cref="Text"/>.
/// </summary>
internal sealed record Argument(string Name, long Integer, double Real, string? Text);

/// <summary>The kinds of layer attribute the parser knows. Add one here, in <c>Parser.LayerKinds</c> and in <c>Layers/</c>.</summary>
internal enum LayerKind
{
    Input,
    Dense,
    Dropout,
}
