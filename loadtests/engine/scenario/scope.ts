/**
 * A small scope resolver for one bundled ES module: which declaration every identifier refers to.
 * Enough for the sync transform (sync-transform.ts); `with` and `eval` are not modelled (bundles never use them).
 */
import type * as acorn from 'acorn';

export type AnyNode = acorn.AnyNode;

export interface Binding {
  name: string;
  kind: 'var' | 'let' | 'const' | 'function' | 'class' | 'param' | 'import' | 'catch';
  /** The declaring node: a VariableDeclarator, FunctionDeclaration, ClassDeclaration, import specifier, ... */
  node: AnyNode;
  /** The function literal a `const f = () => ...` or `function f() {}` binds, when there is one. */
  fn?: AnyNode;
  /** For imports: the module and the imported name ('default', '*' or the export's name). */
  source?: string;
  imported?: string;
}

export interface ScopeInfo {
  /** Every identifier in a reference position that resolves to a declaration in the module. */
  references: Map<acorn.Identifier, Binding>;
  /** Parent of every node (the walker records it once). */
  parents: Map<AnyNode, AnyNode>;
}

class Scope {
  readonly names = new Map<string, Binding>();
  constructor(readonly parent: Scope | undefined) {}
  find(name: string): Binding | undefined {
    return this.names.get(name) ?? this.parent?.find(name);
  }
}

const isFunction = (n: AnyNode): boolean =>
  n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression';

/** Identifiers a pattern declares (destructuring, defaults, rest). */
function patternNames(pattern: AnyNode, out: acorn.Identifier[] = []): acorn.Identifier[] {
  switch (pattern.type) {
    case 'Identifier':
      out.push(pattern);
      break;
    case 'ObjectPattern':
      for (const p of pattern.properties) patternNames(p.type === 'RestElement' ? p : p.value, out);
      break;
    case 'ArrayPattern':
      for (const e of pattern.elements) if (e) patternNames(e, out);
      break;
    case 'RestElement':
      patternNames(pattern.argument, out);
      break;
    case 'AssignmentPattern':
      patternNames(pattern.left, out);
      break;
  }
  return out;
}

function declare(scope: Scope, id: acorn.Identifier, binding: Omit<Binding, 'name'>): void {
  scope.names.set(id.name, { name: id.name, ...binding });
}

/** `var` declarations of a function body (not of nested functions), hoisted to the function scope. */
function hoistVars(node: AnyNode, scope: Scope): void {
  if (isFunction(node) || node.type === 'ClassDeclaration' || node.type === 'ClassExpression') return;
  if (node.type === 'VariableDeclaration' && node.kind === 'var') {
    for (const d of node.declarations)
      for (const id of patternNames(d.id)) declare(scope, id, { kind: 'var', node: d, fn: functionInit(d) });
  }
  for (const child of children(node)) hoistVars(child, scope);
}

function functionInit(d: acorn.VariableDeclarator): AnyNode | undefined {
  return d.id.type === 'Identifier' && d.init && isFunction(d.init) ? d.init : undefined;
}

/** let/const/class/function declared directly in a statement list. */
function declareLexical(statements: AnyNode[], scope: Scope): void {
  for (const raw of statements) {
    const s =
      (raw.type === 'ExportNamedDeclaration' || raw.type === 'ExportDefaultDeclaration') && raw.declaration
        ? (raw.declaration as AnyNode)
        : raw;
    if (s.type === 'VariableDeclaration' && s.kind !== 'var') {
      for (const d of s.declarations)
        for (const id of patternNames(d.id))
          declare(scope, id, { kind: s.kind === 'const' ? 'const' : 'let', node: d, fn: functionInit(d) });
    } else if (s.type === 'FunctionDeclaration' && s.id) {
      declare(scope, s.id, { kind: 'function', node: s, fn: s });
    } else if (s.type === 'ClassDeclaration' && s.id) {
      declare(scope, s.id, { kind: 'class', node: s });
    } else if (s.type === 'ImportDeclaration') {
      for (const spec of s.specifiers) {
        const imported =
          spec.type === 'ImportDefaultSpecifier'
            ? 'default'
            : spec.type === 'ImportNamespaceSpecifier'
              ? '*'
              : spec.imported.type === 'Identifier'
                ? spec.imported.name
                : String(spec.imported.value);
        declare(scope, spec.local, { kind: 'import', node: spec, source: String(s.source.value), imported });
      }
    }
  }
}

/** The child nodes of a node (by field, not strictly in source order: callers sort what they need in order). */
export function children(node: AnyNode): AnyNode[] {
  const out: AnyNode[] = [];
  for (const key of Object.keys(node)) {
    if (key === 'type' || key === 'loc' || key === 'start' || key === 'end' || key === 'range') continue;
    const value = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(value)) {
      for (const v of value) if (v && typeof v === 'object' && typeof v.type === 'string') out.push(v);
    } else if (value && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string')
      out.push(value as AnyNode);
  }
  return out;
}

/** Resolves the identifiers of a module to their declarations. */
export function analyzeScopes(program: acorn.Program): ScopeInfo {
  const references = new Map<acorn.Identifier, Binding>();
  const parents = new Map<AnyNode, AnyNode>();

  const reference = (id: acorn.Identifier, scope: Scope) => {
    const binding = scope.find(id.name);
    if (binding) references.set(id, binding);
  };

  const visitPattern = (pattern: AnyNode, scope: Scope, parent: AnyNode) => {
    parents.set(pattern, parent);
    switch (pattern.type) {
      case 'Identifier':
        return;
      case 'ObjectPattern':
        for (const p of pattern.properties) {
          parents.set(p, pattern);
          if (p.type === 'RestElement') visitPattern(p, scope, pattern);
          else {
            if (p.computed) visit(p.key, scope, p);
            visitPattern(p.value, scope, p);
          }
        }
        return;
      case 'ArrayPattern':
        for (const e of pattern.elements) if (e) visitPattern(e, scope, pattern);
        return;
      case 'RestElement':
        return visitPattern(pattern.argument, scope, pattern);
      case 'AssignmentPattern':
        visitPattern(pattern.left, scope, pattern);
        return visit(pattern.right, scope, pattern);
      default:
        // MemberExpression targets in assignment patterns are references.
        return visit(pattern, scope, parent);
    }
  };

  const visitFunction = (
    fn:
      | acorn.FunctionDeclaration
      | acorn.AnonymousFunctionDeclaration
      | acorn.FunctionExpression
      | acorn.ArrowFunctionExpression,
    outer: Scope,
  ) => {
    let scope = outer;
    if (fn.type === 'FunctionExpression' && fn.id) {
      scope = new Scope(outer);
      declare(scope, fn.id, { kind: 'function', node: fn, fn });
    }
    const inner = new Scope(scope);
    for (const p of fn.params)
      for (const id of patternNames(p)) declare(inner, id, { kind: 'param', node: p });
    if (fn.body.type === 'BlockStatement') {
      hoistVars(fn.body, inner);
      declareLexical(fn.body.body, inner);
    }
    for (const p of fn.params) visitPattern(p, inner, fn);
    if (fn.body.type === 'BlockStatement') {
      parents.set(fn.body, fn);
      for (const s of fn.body.body) visit(s, inner, fn.body);
    } else visit(fn.body, inner, fn);
  };

  function visit(node: AnyNode, scope: Scope, parent: AnyNode | undefined): void {
    if (parent) parents.set(node, parent);
    switch (node.type) {
      case 'Identifier':
        reference(node, scope);
        return;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        visitFunction(node, scope);
        return;
      case 'ClassDeclaration':
      case 'ClassExpression': {
        let inner = scope;
        if (node.type === 'ClassExpression' && node.id) {
          inner = new Scope(scope);
          declare(inner, node.id, { kind: 'class', node });
        }
        if (node.superClass) visit(node.superClass, inner, node);
        parents.set(node.body, node);
        for (const member of node.body.body) {
          parents.set(member, node.body);
          if (member.type === 'StaticBlock') {
            const block = new Scope(inner);
            declareLexical(member.body, block);
            for (const s of member.body) visit(s, block, member);
            continue;
          }
          if (member.computed) visit(member.key, inner, member);
          if (member.value) visit(member.value, inner, member);
        }
        return;
      }
      case 'BlockStatement':
      case 'StaticBlock': {
        const block = new Scope(scope);
        declareLexical(node.body, block);
        for (const s of node.body) visit(s, block, node);
        return;
      }
      case 'Program': {
        hoistVars(node, scope);
        declareLexical(node.body, scope);
        for (const s of node.body) visit(s, scope, node);
        return;
      }
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement': {
        const loop = new Scope(scope);
        const init = node.type === 'ForStatement' ? node.init : node.left;
        if (init?.type === 'VariableDeclaration' && init.kind !== 'var') declareLexical([init], loop);
        for (const child of children(node)) visit(child, loop, node);
        return;
      }
      case 'SwitchStatement': {
        visit(node.discriminant, scope, node);
        const inner = new Scope(scope);
        declareLexical(
          node.cases.flatMap((c) => c.consequent),
          inner,
        );
        for (const c of node.cases) {
          parents.set(c, node);
          if (c.test) visit(c.test, inner, c);
          for (const s of c.consequent) visit(s, inner, c);
        }
        return;
      }
      case 'CatchClause': {
        const inner = new Scope(scope);
        if (node.param) {
          for (const id of patternNames(node.param)) declare(inner, id, { kind: 'catch', node: node.param });
          visitPattern(node.param, inner, node);
        }
        parents.set(node.body, node);
        declareLexical(node.body.body, inner);
        for (const s of node.body.body) visit(s, inner, node.body);
        return;
      }
      case 'VariableDeclaration':
        for (const d of node.declarations) {
          parents.set(d, node);
          visitPattern(d.id, scope, d);
          if (d.init) visit(d.init, scope, d);
        }
        return;
      case 'MemberExpression':
        visit(node.object, scope, node);
        if (node.computed) visit(node.property, scope, node);
        else parents.set(node.property, node);
        return;
      case 'Property':
        if (node.computed) visit(node.key, scope, node);
        else parents.set(node.key, node);
        if (node.value !== node.key || !node.shorthand) visit(node.value, scope, node);
        else reference(node.value as acorn.Identifier, scope);
        return;
      case 'AssignmentExpression':
        visitPattern(node.left, scope, node);
        visit(node.right, scope, node);
        return;
      case 'LabeledStatement':
        visit(node.body, scope, node);
        return;
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'MetaProperty':
        return;
      case 'ImportDeclaration':
        return;
      case 'ExportNamedDeclaration':
        if (node.declaration) {
          visit(node.declaration, scope, node);
          return;
        }
        if (!node.source)
          for (const spec of node.specifiers) {
            parents.set(spec, node);
            if (spec.local.type === 'Identifier') {
              parents.set(spec.local, spec);
              reference(spec.local, scope);
            }
          }
        return;
      case 'ExportAllDeclaration':
        return;
      default:
        for (const child of children(node)) visit(child, scope, node);
    }
  }

  visit(program, new Scope(undefined), undefined);
  return { references, parents };
}
