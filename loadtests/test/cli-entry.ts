/** Runs the preflight CLI from the TypeScript sources (tests spawn it as a separate process). */
import { main } from '../../src/app/cli.js';

process.exitCode = await main(process.argv.slice(2));
