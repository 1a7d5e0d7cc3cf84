#!/usr/bin/env node
import { main } from '../dist/src/app/cli.js';

process.exitCode = await main(process.argv.slice(2));
