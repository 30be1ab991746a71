using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using NetDsl.Generators.Model;

namespace NetDsl.Generators;

/// <summary>
/// Generates the forward pass, backward pass, training step and weight I/O of each <c>[Network]</c> class.
/// The pipeline has three stages, one file each: <see cref="Parser"/> (declaration → plain values),
/// <see cref="Validator"/> (→ checked graph of layers with shapes, plus diagnostics) and <see cref="Emitter"/> (→ source).
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class NetworkGenerator : IIncrementalGenerator
{
    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<NetworkDeclaration> declarations = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                Parser.NetworkAttribute,
                predicate: static (node, _) => node is ClassDeclarationSyntax,
                transform: static (context, cancellationToken) => Parser.Parse(context, cancellationToken))
            .WithTrackingName(StepNames.Parse);

        IncrementalValuesProvider<ValidationResult> results = declarations
            .Select(static (declaration, _) => Validator.Validate(declaration))
            .WithTrackingName(StepNames.Validate);

        // Diagnostics and source leave the pipeline separately: a diagnostic's location changes with every edit
        // above the declaration, but the model it describes does not, so emitting stays cached.
        IncrementalValuesProvider<EquatableArray<DiagnosticInfo>> diagnostics = results
            .Select(static (result, _) => result.Diagnostics)
            .WithTrackingName(StepNames.Diagnostics);
        context.RegisterSourceOutput(diagnostics, static (context, diagnostics) =>
        {
            foreach (DiagnosticInfo diagnostic in diagnostics)
                context.ReportDiagnostic(diagnostic.ToDiagnostic());
        });

        IncrementalValuesProvider<NetworkModel> models = results
            .Where(static result => result.Model is not null)
            .Select(static (result, _) => result.Model!)
            .WithTrackingName(StepNames.Model);
        context.RegisterSourceOutput(models, static (context, model) =>
        {
            foreach ((string hintName, string source) in Emitter.Emit(model))
                context.AddSource(hintName, source);
        });

        // Layer attributes on a class without [Network] would silently do nothing: warn. One provider per layer
        // attribute kind, all collected together, so a class with [Input] and [Dense] still gets a single warning.
        IncrementalValueProvider<ImmutableArray<DiagnosticInfo>>? orphans = null;
        foreach (string layerAttribute in Parser.LayerKinds.Keys)
        {
            IncrementalValueProvider<ImmutableArray<DiagnosticInfo>> ofKind = context.SyntaxProvider
                .ForAttributeWithMetadataName(
                    layerAttribute,
                    predicate: static (node, _) => node is ClassDeclarationSyntax,
                    transform: static (context, _) => Parser.ParseOrphan(context))
                .Where(static info => info is not null)
                .Select(static (info, _) => info!)
                .WithTrackingName(StepNames.Orphans)
                .Collect();
            orphans = orphans is null
                ? ofKind
                : orphans.Value.Combine(ofKind).Select(static (pair, _) => pair.Left.AddRange(pair.Right));
        }
        context.RegisterSourceOutput(orphans!.Value, static (context, infos) =>
        {
            // One warning per class even if it carries several layer attributes.
            foreach (DiagnosticInfo info in infos.Distinct())
                context.ReportDiagnostic(info.ToDiagnostic());
        });
    }
}

/// <summary>The tracking names of the pipeline's steps, for incrementality tests.</summary>
internal static class StepNames
{
    public const string Parse = nameof(Parse);
    public const string Validate = nameof(Validate);
    public const string Diagnostics = nameof(Diagnostics);
    public const string Model = nameof(Model);
    public const string Orphans = nameof(Orphans);
}

internal static class ThisAssembly
{
    public const string Version = "0.1.0";
}
