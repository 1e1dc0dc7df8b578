#!/usr/bin/env node
// The file npm links as acs-sim. It is committed rather than built because npm skips a bin whose
// target is missing at install time, and dist/ does not exist yet on a fresh clone.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write('acs-sim: not built yet; run `npm run build` at the repository root\n');
  process.exit(1);
}
await import(cli.href);
