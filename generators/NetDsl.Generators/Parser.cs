using System.Collections.Immutable;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NetDsl.Generators.Model;

namespace NetDsl.Generators;

/// <summary>
/// Stage 1: reads a <c>[Network]</c> class into a <see cref="NetworkDeclaration"/>, attribute by attribute, without
/// judging it. Everything symbol-related stays here; the output holds only plain values.
/// </summary>
internal static class Parser
{
    public const string NetworkAttribute = "NetDsl.NetworkAttribute";

    /// <summary>The layer attributes, by metadata name, in the order <see cref="LayerKind"/> lists them.</summary>
    public static readonly ImmutableDictionary<string, LayerKind> LayerKinds = ImmutableDictionary.CreateRange(new[]
    {
        new System.Collections.Generic.KeyValuePair<string, LayerKind>("NetDsl.InputAttribute", LayerKind.Input),
        new System.Collections.Generic.KeyValuePair<string, LayerKind>("NetDsl.DenseAttribute", LayerKind.Dense),
        new System.Collections.Generic.KeyValuePair<string, LayerKind>("NetDsl.DropoutAttribute", LayerKind.Dropout),
    });

    public static NetworkDeclaration Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var syntax = (ClassDeclarationSyntax)context.TargetNode;

        bool isPartial = false;
        foreach (SyntaxReference reference in type.DeclaringSyntaxReferences)
        {
            if (reference.GetSyntax(cancellationToken) is ClassDeclarationSyntax part && part.Modifiers.Any(SyntaxKind.PartialKeyword))
                isPartial = true;
        }

        int loss = 0;
        AttributeData networkAttribute = context.Attributes[0];
        var networkArguments = ImmutableArray.CreateBuilder<Argument>();
        foreach (var named in networkAttribute.NamedArguments)
        {
            if (named.Key == "Loss" && named.Value.Value is int value)
                loss = value;
            else
                networkArguments.Add(ToArgument(named.Key, named.Value));
        }

        var layers = ImmutableArray.CreateBuilder<LayerDeclaration>();
        foreach (AttributeData attribute in type.GetAttributes())
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (attribute.AttributeClass is null || !LayerKinds.TryGetValue(attribute.AttributeClass.ToDisplayString(), out LayerKind kind))
                continue;
            if (attribute.AttributeConstructor is null)
                continue; // the compiler already reports a malformed attribute
            layers.Add(ParseLayer(kind, attribute, cancellationToken));
        }

        return new NetworkDeclaration(
            Namespace: type.ContainingNamespace.IsGlobalNamespace ? null : type.ContainingNamespace.ToDisplayString(),
            ClassName: type.Name,
            FullName: type.ToDisplayString(),
            IsPartial: isPartial,
            IsNested: type.ContainingType is not null,
            IsGeneric: type.IsGenericType,
            ClassLocation: IdentifierLocation(syntax),
            NetworkAttributeLocation: LocationInfo.From(networkAttribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken)),
            Loss: loss,
            NetworkArguments: networkArguments.ToEquatableArray(),
            Layers: layers.ToEquatableArray());
    }

    /// <summary>
    /// For a class with a layer attribute: a warning when it lacks <c>[Network]</c>, else null. The warning sits on the
    /// class name, and the same class gives equal infos for each of its layer attributes.
    /// </summary>
    public static DiagnosticInfo? ParseOrphan(GeneratorAttributeSyntaxContext context)
    {
        foreach (AttributeData attribute in context.TargetSymbol.GetAttributes())
        {
            if (attribute.AttributeClass?.ToDisplayString() == NetworkAttribute)
                return null;
        }
        var syntax = (ClassDeclarationSyntax)context.TargetNode;
        return DiagnosticInfo.Create(DiagnosticDescriptors.LayerOutsideNetwork, IdentifierLocation(syntax), context.TargetSymbol.Name);
    }

    private static LocationInfo? IdentifierLocation(ClassDeclarationSyntax syntax)
    {
        Location location = syntax.Identifier.GetLocation();
        return location.SourceTree is null ? null : new LocationInfo(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }

    /// <summary>Reads constructor arguments under their parameter names, then named arguments under their property names.</summary>
    private static LayerDeclaration ParseLayer(LayerKind kind, AttributeData attribute, CancellationToken cancellationToken)
    {
        var arguments = ImmutableArray.CreateBuilder<Argument>();
        var parameters = attribute.AttributeConstructor!.Parameters;
        for (int i = 0; i < attribute.ConstructorArguments.Length && i < parameters.Length; i++)
            arguments.Add(ToArgument(ToPascalCase(parameters[i].Name), attribute.ConstructorArguments[i]));
        foreach (var named in attribute.NamedArguments)
            arguments.Add(ToArgument(named.Key, named.Value));

        string name = attribute.AttributeClass!.Name;
        if (name.EndsWith("Attribute", System.StringComparison.Ordinal))
            name = name.Substring(0, name.Length - "Attribute".Length);

        return new LayerDeclaration(kind, name, LocationInfo.From(attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken)), arguments.ToEquatableArray());
    }

    private static Argument ToArgument(string name, TypedConstant constant) => constant.Value switch
    {
        int i => new Argument(name, i, i, null),
        long l => new Argument(name, l, l, null),
        float f => new Argument(name, 0, f, null),
        double d => new Argument(name, 0, d, null),
        string s => new Argument(name, 0, 0, s),
        _ => new Argument(name, 0, 0, null),
    };

    private static string ToPascalCase(string name) => name.Length == 0 ? name : char.ToUpperInvariant(name[0]) + name.Substring(1);
}
