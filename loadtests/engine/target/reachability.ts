/** Checks that a target answers TCP before load starts (exit 3 when it does not). */
import { connect } from 'node:net';
import { PreflightError } from '../../../src/core/errors.js';
import { redactUrl } from '../../../src/core/redact.js';

export async function assertReachable(baseUrl: string, timeoutMs = 5000): Promise<void> {
  const url = new URL(baseUrl);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  const host = url.hostname.replace(/^\[|\]$/g, '');
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (reason: string) => {
      socket.destroy();
      reject(
        new PreflightError('E_TARGET_UNREACHABLE', `Target ${redactUrl(baseUrl)} is unreachable: ${reason}`, {
          hint: 'start the target (for the sandbox: `preflight sandbox up --detach`) or check targets.<name>.baseUrl',
        }),
      );
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer within ${timeoutMs} ms`));
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    socket.once('connect', () => {
      socket.setTimeout(0);
      socket.destroy();
      resolve();
    });
  });
}
