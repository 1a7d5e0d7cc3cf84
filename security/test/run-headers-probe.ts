// Runs the headers probe against one URL and prints its findings as JSON: tls.test.ts starts it in a child process
// whose NODE_EXTRA_CA_CERTS trusts the test's self-signed certificate (no TLS verification is switched off).
import { headersProbe } from '../probes/headers.js';
import { createLocalContext } from './context.js';

const url = process.argv[2];
if (!url) throw new Error('usage: run-headers-probe.ts <https url>');
const { findings } = await headersProbe.run(createLocalContext(url));
process.stdout.write(JSON.stringify(findings.map((f) => ({ ruleId: f.ruleId, detail: f.detail }))));
