/** Production safety: load reaches a production target only with an explicit acknowledgement. */
import { PreflightError } from '../../src/core/errors.js';
import type { ResolvedTarget } from '../../src/core/target.js';

export const PRODUCTION_FLAG = '--i-understand-this-is-production';

export function assertLoadAllowed(target: ResolvedTarget | undefined, acknowledged: boolean): void {
  if (!target?.production || acknowledged) return;
  throw new PreflightError(
    'E_TARGET_NOT_ALLOWED',
    `Target "${target.name}" is marked production: refusing to send load`,
    {
      hint: `load a staging or preview target instead, or re-run with ${PRODUCTION_FLAG} if you really mean production`,
    },
  );
}
