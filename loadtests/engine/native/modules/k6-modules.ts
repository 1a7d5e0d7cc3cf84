/** The k6 modules a native VU can import (one file each for the larger ones), created per VU. */
import type { EngineContext } from '../context.js';
import type { VuState } from '../vu-state.js';
import { esModule } from './es-module.js';
import { createK6Module } from './k6.js';
import { createCryptoModule } from './k6-crypto.js';
import { createEncodingModule } from './k6-encoding.js';
import { createExecutionModule } from './k6-execution.js';
import { createHtmlModule } from './k6-html.js';
import { createHttpModule } from './k6-http.js';
import { createMetricsModule } from './k6-metrics.js';

/** Modules the native engine provides; anything else under `k6/` is unsupported. */
export const supportedModules = [
  'k6',
  'k6/http',
  'k6/metrics',
  'k6/execution',
  'k6/data',
  'k6/encoding',
  'k6/crypto',
  'k6/html',
  'k6/timers',
];

/** The modules of one VU by import name; `vu` is the state they read and change. */
export function createK6Modules(engine: EngineContext, vu: VuState): Record<string, unknown> {
  return {
    k6: createK6Module(engine, vu),
    'k6/http': createHttpModule(engine, vu),
    'k6/metrics': createMetricsModule(engine, vu),
    'k6/execution': createExecutionModule(engine, vu),
    'k6/data': esModule({
      SharedArray: function SharedArray(_name: string, factory: () => unknown[]) {
        const data = factory();
        if (!Array.isArray(data)) throw new Error('SharedArray factory must return an array');
        return Object.freeze(data);
      },
    }),
    'k6/encoding': createEncodingModule(),
    'k6/crypto': createCryptoModule(),
    'k6/html': createHtmlModule(),
    'k6/timers': esModule({ setTimeout, clearTimeout, setInterval, clearInterval }),
  };
}
