/**
 * Lets the native engine run k6 scripts written synchronously (`const res = http.get(url); sleep(1);`): a
 * compile-time transform of the bundled ES module that awaits every blocking k6 call and marks every function
 * that (transitively) reaches one `async`, awaiting its calls too. What it cannot rewrite safely (a blocking
 * callback given to code that would not wait for it, a getter, a constructor, a function used as a value) is
 * reported as a problem with its file and line, and the run is refused before it starts.
 */

import type * as acorn from 'acorn';
import { parse } from 'acorn';
import { type AnyNode, analyzeScopes, type Binding, children } from './scope.js';
import { rewriteBlockingCalls } from './sync-rewrite.js';

/** `k6/http` functions that block a k6 VU (the native engine awaits them). */
export const blockingHttpFunctions = [
  'get',
  'post',
  'put',
  'patch',
  'del',
  'head',
  'options',
  'request',
  'batch',
];
/** `k6` functions that block (`group` waits for its callback, which may make requests). */
export const blockingK6Functions = ['sleep', 'group'];
/** Response methods that make a request, recognised by name. */
export const blockingResponseMethods = ['submitForm', 'clickLink'];

const arrayCallbacks = new Set([
  'map',
  'forEach',
  'filter',
  'reduce',
  'reduceRight',
  'some',
  'every',
  'find',
  'findIndex',
  'findLast',
  'findLastIndex',
  'flatMap',
  'sort',
]);

export interface SyncProblem {
  /** What is refused, unique per place: `http.get() in a .map() callback at file:line`. */
  api: string;
  message: string;
}

export interface SyncTransformResult {
  code: string;
  problems: SyncProblem[];
  /** How many calls were awaited and functions made async. */
  awaitedCalls: number;
  asyncFunctions: number;
}

/** Maps a 1-based line and 0-based column of the bundle to `file:line` of the script. */
export type Locate = (line: number, column: number) => string;

type FunctionNode = acorn.FunctionDeclaration | acorn.FunctionExpression | acorn.ArrowFunctionExpression;

const isFunctionNode = (n: AnyNode | undefined | null): n is FunctionNode =>
  !!n &&
  (n.type === 'FunctionDeclaration' ||
    n.type === 'FunctionExpression' ||
    n.type === 'ArrowFunctionExpression');

function propertyName(node: acorn.MemberExpression): string | undefined {
  if (!node.computed && node.property.type === 'Identifier') return node.property.name;
  if (node.property.type === 'Literal' && typeof node.property.value === 'string') return node.property.value;
  if (node.property.type === 'PrivateIdentifier') return `#${node.property.name}`;
  return undefined;
}

function keyName(key: AnyNode, computed: boolean): string | undefined {
  if (key.type === 'Identifier' && !computed) return key.name;
  if (key.type === 'PrivateIdentifier') return `#${key.name}`;
  if (key.type === 'Literal' && typeof key.value === 'string') return key.value;
  return undefined;
}

/** Awaits blocking k6 calls in `code` (an ES module bundle); see the file comment. */
export function transformSyncCalls(code: string, locate: Locate = (l) => `line ${l}`): SyncTransformResult {
  const program = parse(code, { ecmaVersion: 'latest', sourceType: 'module', locations: true });
  const { references, parents } = analyzeScopes(program);
  const where = (node: AnyNode) => locate(node.loc!.start.line, node.loc!.start.column);

  const calls: acorn.CallExpression[] = [];
  (function collect(node: AnyNode) {
    if (node.type === 'CallExpression') calls.push(node);
    for (const child of children(node)) collect(child);
  })(program);

  const enclosingFunction = (node: AnyNode): FunctionNode | undefined => {
    for (let p = parents.get(node); p; p = parents.get(p)) if (isFunctionNode(p)) return p;
    return undefined;
  };

  /** `http.get`, `sleep`, ... when the node names a blocking k6 function. */
  const k6Member = (callee: AnyNode): string | undefined => {
    if (callee.type === 'Identifier') {
      const b = references.get(callee);
      if (b?.kind !== 'import') return undefined;
      if (b.source === 'k6/http' && blockingHttpFunctions.includes(b.imported!)) return `http.${b.imported}`;
      if (b.source === 'k6' && blockingK6Functions.includes(b.imported!)) return b.imported;
      return undefined;
    }
    if (callee.type !== 'MemberExpression' || callee.object.type !== 'Identifier') return undefined;
    const b = references.get(callee.object);
    const name = propertyName(callee);
    if (b?.kind !== 'import' || !name || (b.imported !== 'default' && b.imported !== '*')) return undefined;
    if (b.source === 'k6/http' && blockingHttpFunctions.includes(name)) return `http.${name}`;
    if (b.source === 'k6' && blockingK6Functions.includes(name)) return name;
    return undefined;
  };
  const isModuleObject = (node: AnyNode): boolean => {
    if (node.type !== 'Identifier') return false;
    const b = references.get(node);
    return b?.kind === 'import' && (b.imported === 'default' || b.imported === '*');
  };

  /** The name a function literal is called by: its binding, or the method/property name it is stored under. */
  const methodNameOf = (fn: FunctionNode): string | undefined => {
    const parent = parents.get(fn);
    if (parent?.type === 'Property' && parent.value === fn) return keyName(parent.key, parent.computed);
    if ((parent?.type === 'MethodDefinition' || parent?.type === 'PropertyDefinition') && parent.value === fn)
      return keyName(parent.key, parent.computed);
    if (
      parent?.type === 'AssignmentExpression' &&
      parent.right === fn &&
      parent.left.type === 'MemberExpression'
    )
      return propertyName(parent.left);
    return undefined;
  };

  const asyncFns = new Map<FunctionNode, string>(); // function -> why (the first blocking call it reaches)
  const asyncMethods = new Set<string>();
  const blocking = new Map<acorn.CallExpression, string>(); // call -> what it calls
  /** The function a binding holds: its own, or the one of the binding it aliases (`var run = doc_default;`). */
  const fnOfBinding = (b: Binding | undefined, depth = 0): FunctionNode | undefined => {
    if (b?.fn && isFunctionNode(b.fn)) return b.fn;
    if (depth < 8 && b?.node.type === 'VariableDeclarator' && b.node.init?.type === 'Identifier')
      return fnOfBinding(references.get(b.node.init), depth + 1);
    return undefined;
  };

  // Parameters that receive a blocking function (`retry(() => http.get(url))`): calls to them block.
  const asyncParams = new Map<Binding, string>();
  const paramBindings = new Map<AnyNode, Binding>();
  for (const b of references.values()) if (b.kind === 'param') paramBindings.set(b.node, b);
  /** Why a value blocks when called: a blocking function, an alias of one, or a parameter given one. */
  const blockingValue = (node: AnyNode): string | undefined => {
    if (isFunctionNode(node)) return asyncFns.get(node);
    if (node.type !== 'Identifier') return undefined;
    const b = references.get(node);
    const fn = fnOfBinding(b);
    return (fn && asyncFns.get(fn)) || (b && asyncParams.get(b));
  };
  /** The parameter of a user function a call's argument lands in, when it is a plain one. */
  const parameterOf = (call: acorn.CallExpression, arg: AnyNode): Binding | undefined => {
    if (call.callee.type !== 'Identifier') return undefined;
    const fn = fnOfBinding(references.get(call.callee));
    const param = fn?.params[call.arguments.indexOf(arg as acorn.Expression)];
    return param?.type === 'Identifier' ? paramBindings.get(param) : undefined;
  };

  const describeCall = (call: acorn.CallExpression): string | undefined => {
    const callee = call.callee;
    const member = k6Member(callee);
    if (member) return `${member}()`;
    if (callee.type === 'Identifier') return blockingValue(callee) ? `${callee.name}()` : undefined;
    if (isFunctionNode(callee as AnyNode))
      return asyncFns.has(callee as FunctionNode) ? 'a function' : undefined;
    if (callee.type === 'MemberExpression' && !isModuleObject(callee.object)) {
      const name = propertyName(callee);
      if (!name) return undefined;
      if (blockingResponseMethods.includes(name)) return `.${name}()`;
      if (asyncMethods.has(name) && mayHoldAsyncMethod(callee.object, name)) return `.${name}()`;
    }
    return undefined;
  };
  /**
   * Methods are matched by name (`api.login()`, `this.fetch()`), except on objects known to be something else:
   * a `new Map()` (or any constructor the script does not define), an array, a string, or an object literal
   * without that blocking method. So `cache.get(key)` stays synchronous beside a blocking `api.get()`.
   */
  const mayHoldAsyncMethod = (object: AnyNode, name: string): boolean => {
    if (object.type === 'ArrayExpression' || object.type === 'Literal' || object.type === 'TemplateLiteral')
      return false;
    const b = object.type === 'Identifier' ? references.get(object) : undefined;
    const init = b?.node.type === 'VariableDeclarator' && b.kind === 'const' ? b.node.init : undefined;
    if (!init) return true;
    if (init.type === 'ArrayExpression' || init.type === 'Literal' || init.type === 'TemplateLiteral')
      return false;
    if (init.type === 'NewExpression') {
      const ctor = init.callee.type === 'Identifier' ? references.get(init.callee) : undefined;
      // a class or constructor function of the script may have it; a global or k6 constructor does not
      return ctor !== undefined && ctor.kind !== 'import';
    }
    if (init.type === 'ObjectExpression')
      return init.properties.some(
        (p) =>
          p.type === 'SpreadElement' ||
          (keyName(p.key, p.computed) === name &&
            isFunctionNode(p.value as AnyNode) &&
            asyncFns.has(p.value as FunctionNode)),
      );
    return true;
  };

  /** esbuild's namespace objects: `__export(lib_exports, { login: () => login })`; the getter's binding, if so. */
  const exportGetterOf = (node: AnyNode): string | undefined => {
    const arrow = parents.get(node);
    const property = arrow && parents.get(arrow);
    const object = property && parents.get(property);
    const call = object && parents.get(object);
    if (arrow?.type !== 'ArrowFunctionExpression' || arrow.body !== node || property?.type !== 'Property')
      return;
    if (
      call?.type !== 'CallExpression' ||
      call.callee.type !== 'Identifier' ||
      call.callee.name !== '__export'
    )
      return;
    return keyName(property.key, property.computed);
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (const [id] of references) {
      const name = exportGetterOf(id);
      if (name && !asyncMethods.has(name) && blockingValue(id)) {
        asyncMethods.add(name);
        changed = true;
      }
    }
    for (const call of calls) {
      for (const arg of call.arguments) {
        const why = blockingValue(arg);
        const param = why ? parameterOf(call, arg) : undefined;
        if (param && why && !asyncParams.has(param)) {
          asyncParams.set(param, why);
          changed = true;
        }
      }
      if (blocking.has(call)) continue;
      const what = describeCall(call);
      if (!what) continue;
      blocking.set(call, what);
      changed = true;
      const fn = enclosingFunction(call);
      // A function the script wrote `async` already returns a Promise, on k6 too: its callers stay as written.
      if (fn && !fn.async && !asyncFns.has(fn)) {
        asyncFns.set(fn, `${what} at ${where(call)}`);
        const method = methodNameOf(fn);
        if (method) asyncMethods.add(method);
      }
    }
  }

  const problems: SyncProblem[] = [];
  const refuse = (api: string, node: AnyNode, message: string) =>
    problems.push({ api: `${api} at ${where(node)}`, message });

  /** The object literal of checks given to k6's check(). */
  const isCheckArgument = (object: AnyNode | undefined): boolean => {
    const call = object && parents.get(object);
    if (call?.type !== 'CallExpression' || call.arguments[1] !== object) return false;
    const callee = call.callee;
    const b = callee.type === 'Identifier' ? references.get(callee) : undefined;
    if (b?.kind === 'import') return b.source === 'k6' && b.imported === 'check';
    return (
      callee.type === 'MemberExpression' && isModuleObject(callee.object) && propertyName(callee) === 'check'
    );
  };
  const isGroupCallback = (call: AnyNode | undefined, arg: AnyNode) =>
    call?.type === 'CallExpression' && k6Member(call.callee) === 'group' && call.arguments[1] === arg;

  /** Why a blocking function may not be used where it appears, or undefined when the use is safe. */
  const checkUse = (node: AnyNode, name: string, why: string): void => {
    const parent = parents.get(node);
    if (parent?.type === 'CallExpression' && parent.callee === node) return;
    if (isGroupCallback(parent, node)) return;
    // a getter of an esbuild namespace object: `ns.name()` is matched as a blocking method
    if (exportGetterOf(node)) return;
    // given to a user function's parameter: its calls there are awaited
    if (parent?.type === 'CallExpression' && parameterOf(parent, node)) return;
    if (parent?.type === 'ExportSpecifier' || parent?.type === 'ExportDefaultDeclaration') return;
    // an alias: its own uses are checked through its binding
    if (parent?.type === 'VariableDeclarator' && parent.init === node && parent.id.type === 'Identifier')
      return;
    if (parent?.type === 'CallExpression' || parent?.type === 'NewExpression') {
      const callee = parent.callee;
      const method = callee.type === 'MemberExpression' ? propertyName(callee) : undefined;
      if (method && arrayCallbacks.has(method)) {
        refuse(
          `a .${method}() callback`,
          node,
          `${name} reaches ${why}, inside a .${method}() callback, which cannot wait for it on the native engine; rewrite the loop as \`for (const item of items) { ... }\``,
        );
        return;
      }
      const calleeText = code.slice(callee.start, Math.min(callee.end, callee.start + 40));
      refuse(
        'a callback',
        node,
        `${name} reaches ${why} and is passed as a callback to ${calleeText}(), which would not wait for it on the native engine; call it directly (not through a callback), or run with --engine k6`,
      );
      return;
    }
    refuse(
      'a function used as a value',
      node,
      `${name} reaches ${why} and is used as a value (stored, returned or passed on), which the native engine cannot wait for; call it directly where it is needed, or run with --engine k6`,
    );
  };

  const inClassField = (node: AnyNode): boolean => {
    for (let p = parents.get(node); p; p = parents.get(p)) if (p.type === 'PropertyDefinition') return true;
    return false;
  };
  for (const call of blocking.keys()) {
    const what = blocking.get(call)!;
    const fn = enclosingFunction(call);
    if (!fn && inClassField(call))
      refuse(
        `${what} in a class field`,
        call,
        `${what} runs in a class field initializer, where the native engine cannot wait; set the field in a method instead`,
      );
    else if (!fn)
      refuse(
        `${what} in the init context`,
        call,
        `${what} runs in the init context (top level of the script); k6 allows requests and sleep only in default(), setup(), teardown() and scenario functions`,
      );
    else if (fn.params.some((p) => call.start >= p.start && call.end <= p.end))
      refuse(
        `${what} in a default parameter`,
        call,
        `${what} runs in a parameter's default value, where the native engine cannot wait; make the call in the function body`,
      );
  }
  for (const [fn, why] of asyncFns) {
    const parent = parents.get(fn);
    const label = fn.type !== 'ArrowFunctionExpression' && fn.id ? `function ${fn.id.name}` : 'a function';
    if (fn.generator) {
      refuse(
        'a generator',
        fn,
        `generator ${label} reaches ${why}; the native engine cannot wait inside generators: make it a plain function`,
      );
      continue;
    }
    if (
      (parent?.type === 'MethodDefinition' && parent.kind !== 'method') ||
      (parent?.type === 'Property' && parent.kind !== 'init')
    ) {
      const kind = parent.kind === 'constructor' ? 'a constructor' : `a ${parent.kind}ter`;
      refuse(
        kind,
        fn,
        `${kind} reaches ${why}; the native engine cannot wait there: move the call into a method and call it`,
      );
      continue;
    }
    if (fn.type === 'FunctionDeclaration') continue; // its uses are checked through its binding below
    if (parent?.type === 'VariableDeclarator' && parent.init === fn && parent.id.type === 'Identifier')
      continue;
    if (parent?.type === 'Property' && isCheckArgument(parents.get(parent))) {
      refuse(
        'a check function',
        fn,
        `a check function reaches ${why}; k6 checks are synchronous: make the request before check() and check its response`,
      );
      continue;
    }
    if (
      parent?.type === 'Property' ||
      parent?.type === 'MethodDefinition' ||
      parent?.type === 'PropertyDefinition'
    )
      continue;
    if (
      parent?.type === 'AssignmentExpression' &&
      parent.right === fn &&
      parent.left.type === 'MemberExpression'
    )
      continue;
    checkUse(fn, label, why);
  }
  for (const [id, binding] of references) {
    const why = blockingValue(id);
    if (why) checkUse(id, binding.name, why);
    if (binding.kind === 'import') {
      const member = k6Member(id);
      const parent = parents.get(id);
      if (member && !(parent?.type === 'CallExpression' && parent.callee === id))
        refuse(
          `${member} used as a value`,
          id,
          `${member} is used as a value; the native engine can wait only for direct calls like \`${member}(...)\``,
        );
      if (isModuleObject(id) && (binding.source === 'k6/http' || binding.source === 'k6')) {
        const isObject = parent?.type === 'MemberExpression' && parent.object === id;
        if (!isObject)
          refuse(
            `the ${binding.source} module as a value`,
            id,
            `the ${binding.source} module object is passed on as a value; call its functions directly (\`${binding.name}.get(...)\`) so the native engine can wait for them`,
          );
        else if (parent.type === 'MemberExpression') {
          const grand = parents.get(parent);
          const name = propertyName(parent);
          const blockingName =
            (binding.source === 'k6/http' && name && blockingHttpFunctions.includes(name)) ||
            (binding.source === 'k6' && name && blockingK6Functions.includes(name));
          if (blockingName && !(grand?.type === 'CallExpression' && grand.callee === parent))
            refuse(
              `${binding.name}.${name} used as a value`,
              parent,
              `${binding.name}.${name} is used as a value; the native engine can wait only for direct calls like \`${binding.name}.${name}(...)\``,
            );
        }
      }
    }
  }

  const rewritten = rewriteBlockingCalls(code, {
    functions: asyncFns.keys(),
    calls: [...blocking.keys()].filter((call) => enclosingFunction(call)),
    parents,
  });
  return {
    code: rewritten.code,
    problems,
    awaitedCalls: rewritten.awaitedCalls,
    asyncFunctions: asyncFns.size,
  };
}
