/** The rewriting step of the sync transform (sync-transform.ts): `async` on functions, `(await ...)` on calls. */
import type * as acorn from 'acorn';
import MagicString from 'magic-string';
import type { AnyNode } from './scope.js';

export interface Rewrite {
  /** Functions to make `async` (those the script already wrote async are left as they are). */
  functions: Iterable<acorn.Function>;
  /** Calls to await (those already awaited are left as they are). */
  calls: acorn.CallExpression[];
  parents: Map<AnyNode, AnyNode>;
}

/** Rewrites `code`; returns the new code and how many calls it awaited. */
export function rewriteBlockingCalls(code: string, rewrite: Rewrite): { code: string; awaitedCalls: number } {
  const out = new MagicString(code);
  for (const fn of rewrite.functions) {
    if (fn.async) continue;
    const parent = rewrite.parents.get(fn as AnyNode);
    if (parent?.type === 'MethodDefinition' || (parent?.type === 'Property' && parent.method)) {
      // a method's function starts at its parameters: `async` goes before the key (`[` of a computed one)
      const keyStart = parent.computed ? code.lastIndexOf('[', parent.key.start) : parent.key.start;
      out.prependRight(keyStart, 'async ');
    } else out.prependRight(fn.start, 'async ');
  }
  // outer calls first where two start together (`f()()`), so their `(await ` nest in order
  const ordered = [...rewrite.calls].sort((a, b) => a.start - b.start || b.end - a.end);
  let awaitedCalls = 0;
  for (const call of ordered) {
    const parent = rewrite.parents.get(call);
    if (parent?.type === 'AwaitExpression' && parent.argument === call) continue;
    out.appendLeft(call.start, '(await ');
    out.appendLeft(call.end, ')');
    awaitedCalls++;
  }
  return { code: out.toString(), awaitedCalls };
}
