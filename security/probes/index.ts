/** Every probe, in the order a scan runs them (the ones that spend rate limits last). */
import type { Probe } from '../probe.js';
import { authnProbe } from './authn.js';
import { authzProbe } from './authz.js';
import { corsProbe } from './cors.js';
import { exposureProbe } from './exposure.js';
import { headersProbe } from './headers.js';
import { injectionProbe } from './injection.js';
import { jwtProbe } from './jwt.js';
import { resourceProbe } from './resource.js';

export const allProbes: Probe[] = [
  headersProbe,
  corsProbe,
  jwtProbe,
  authzProbe,
  injectionProbe,
  exposureProbe,
  authnProbe,
  resourceProbe,
];
