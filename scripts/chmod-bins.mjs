// Run after a package's build (cwd = the package): tsc writes files 0644, and npm sets the execute
// bit on bin targets only when it links them at install time, so a target (re)written later would
// fail with "Permission denied". fs.chmod is a no-op beyond read-only on Windows, hence portable.
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import process from 'node:process';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const targets = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values(pkg.bin ?? {});
for (const target of targets) {
  const file = resolve(target);
  // A declared bin missing after the build is a broken package, not something to skip.
  if (!existsSync(file)) {
    process.stderr.write(`chmod-bins: ${pkg.name} declares bin ${target}, which does not exist\n`);
    process.exit(1);
  }
  chmodSync(file, 0o755);
}
