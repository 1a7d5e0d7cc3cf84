/** k6's global `open()`: a file read in the init context, as text or (`'b'`) as an ArrayBuffer. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/** `open(path, mode)` for a script in `scriptDir`; `inInit()` says whether the VU is still in its init context. */
export function createOpen(scriptDir: string, inInit: () => boolean) {
  return function open(path: string, mode?: string): string | ArrayBuffer {
    if (!inInit())
      throw new Error(
        'The "open()" function is only available in the init stage (i.e. the global scope), see https://grafana.com/docs/k6/latest/using-k6/test-lifecycle for more information',
      );
    const content = readFileSync(resolve(scriptDir, String(path)));
    return mode === 'b'
      ? (content.buffer.slice(content.byteOffset, content.byteOffset + content.byteLength) as ArrayBuffer)
      : content.toString('utf8');
  };
}
