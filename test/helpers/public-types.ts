// The named types a user meets through the library entry without being able to import them: walks
// every export of lib/index.ts (a function's parameters and result, a class's public members, an
// interface's fields, a union's members, a generic's arguments) and lists each interface, type
// alias, class or enum declared in lib/ that is reached but not exported from the entry.
import ts from 'typescript';

/** What a user meets but cannot name: the type's name, where it is declared, and a path to it. */
export interface Unexported {
  name: string;
  file: string;
  via: string;
}

const NAMED = ts.SymbolFlags.Interface | ts.SymbolFlags.TypeAlias | ts.SymbolFlags.Class | ts.SymbolFlags.Enum;
// Utility types whose arguments are key lists, not types a user writes a value of.
const KEY_LISTS = new Set(['Pick', 'Omit']);

export function unexportedTypes(entry: string, libDir: string): Unexported[] {
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  const resolve = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  const exports = checker.getExportsOfModule(moduleSymbol);
  const exported = new Set(exports.map(resolve));
  const ownFile = (node: ts.Node | undefined) => node !== undefined && node.getSourceFile().fileName.startsWith(libDir);
  const found = new Map<string, Unexported>();
  const seen = new Set<ts.Type>();

  const visit = (type: ts.Type, via: string, depth: number): void => {
    if (depth > 12 || seen.has(type) || type.flags & ts.TypeFlags.TypeParameter) return;
    seen.add(type);
    const named = type.aliasSymbol ?? type.getSymbol();
    const declaration = named?.declarations?.[0];
    const own = ownFile(declaration);
    // A generic helper alias (Fields<T>) is a computed shape: its instances are named by what uses them.
    const helper = type.aliasSymbol !== undefined && (type.aliasTypeArguments?.length ?? 0) > 0;
    if (named && own && named.flags & NAMED && !exported.has(named) && !helper && !found.has(named.name)) {
      found.set(named.name, {
        name: named.name,
        file: declaration!.getSourceFile().fileName.slice(libDir.length),
        via,
      });
    }
    if (!KEY_LISTS.has(type.aliasSymbol?.name ?? ''))
      type.aliasTypeArguments?.forEach((t, i) => visit(t, `${via}<${i}>`, depth + 1));
    if (type.isUnionOrIntersection()) type.types.forEach((t) => visit(t, via, depth + 1));
    if (!(type.flags & ts.TypeFlags.Object)) return;
    if ((type as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference)
      checker.getTypeArguments(type as ts.TypeReference).forEach((t, i) => visit(t, `${via}<${i}>`, depth + 1));
    // Only what lib/ declares is walked into: Node's, Arrow's and the standard library's are theirs.
    if (named && !own && !(named.flags & ts.SymbolFlags.TypeLiteral)) return;
    for (const property of checker.getPropertiesOfType(type)) {
      const d = property.valueDeclaration ?? property.declarations?.[0];
      if (!d || !ownFile(d) || property.name.startsWith('#')) continue;
      if (ts.getCombinedModifierFlags(d) & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) continue;
      visit(checker.getTypeOfSymbolAtLocation(property, d), `${via}.${property.name}`, depth + 1);
    }
    for (const signature of checker.getSignaturesOfType(type, ts.SignatureKind.Call)) {
      for (const p of signature.getParameters())
        visit(checker.getTypeOfSymbolAtLocation(p, p.valueDeclaration!), `${via}(${p.name})`, depth + 1);
      visit(signature.getReturnType(), `${via}()`, depth + 1);
    }
    for (const info of checker.getIndexInfosOfType(type)) visit(info.type, `${via}[]`, depth + 1);
  };

  for (const s of exports) {
    const target = resolve(s);
    const d = target.declarations?.[0];
    if (!d) continue;
    if (target.flags & NAMED) visit(checker.getDeclaredTypeOfSymbol(target), s.name, 0);
    if (target.flags & ts.SymbolFlags.Value) visit(checker.getTypeOfSymbolAtLocation(target, d), s.name, 0);
  }
  return [...found.values()];
}
