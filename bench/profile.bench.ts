// CPU profile of the ACS under load (prints figures; not a test): the all-in-one and the distributed stack run
// with node --cpu-prof while a fleet runs first contacts, then known-device and GetParameterValues sessions;
// prints, per process, busy time by area (XML parse, XML build, validation, store driver, crypto, logging, bus...)
// and the top functions by self time. The .cpuprofile files stay in the printed directory (open them in
// Chrome DevTools or speedscope). Run: npm run bench:profile -- --cpes 50 --rounds 3
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deviceIdFromParts } from '@acs/contracts';
import { createFleet } from '@acs/cpe-sim';
import { compactTr181Model } from '../packages/e2e/test/support/compact-model.js';
import { byArea, readProfiles, selfTimes } from './support/cpuprofile.js';
import { startAllInOne, startDistributed, type Target } from './support/targets.js';

const { values: args } = parseArgs({ options: { cpes: { type: 'string', default: '50' }, rounds: { type: 'string', default: '3' }, targets: { type: 'string', default: 'all-in-one,distributed' }, top: { type: 'string', default: '15' } } });
const cpes = Number(args.cpes);
const rounds = Number(args.rounds);
const top = Number(args.top);
if (!Number.isInteger(cpes) || cpes < 1 || cpes > 2_000) throw new RangeError('--cpes: an integer 1..2000');
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new RangeError('--rounds: an integer 1..20');

async function load(target: Target): Promise<void> {
  const fleet = createFleet({
    acsUrl: target.cwmpUrl,
    count: cpes,
    model: compactTr181Model(),
    serialPrefix: 'PROF',
    ...(target.onboarding ? { username: target.onboarding.username, password: target.onboarding.password } : {}),
    connectionRequest: false,
    retry: false,
    httpTimeoutMs: 300_000,
  });
  await fleet.start();
  try {
    await fleet.run({ sessions: cpes, concurrency: cpes });
    for (let r = 0; r < rounds; r++) {
      await fleet.run({ sessions: cpes, concurrency: cpes });
      for (const cpe of fleet.cpes) {
        const id = deviceIdFromParts(cpe.deviceId.oui, cpe.deviceId.productClass, cpe.deviceId.serialNumber);
        await target.nbi?.createTask(id, { type: 'getParameterValues', args: { parameterNames: ['Device.DeviceInfo.UpTime'] } });
      }
      await fleet.run({ sessions: cpes, concurrency: cpes });
    }
  } finally {
    await fleet.stop();
  }
}

const dir = mkdtempSync(join(tmpdir(), 'acs-profile-'));
process.stdout.write(`CPU profiles in ${dir} (${cpes} CPEs: first contact, then ${rounds} x (known device + GetParameterValues))\n`);
for (const name of args.targets.split(',')) {
  const target = name === 'distributed' ? await startDistributed(dir) : await startAllInOne(dir);
  try {
    await load(target);
  } finally {
    await target.stop();
  }
  for (const processDir of name === 'distributed' ? ['registry', 'gateways'] : ['all-in-one']) {
    const costs = selfTimes(readProfiles(join(dir, processDir)));
    const busy = costs.filter((c) => c.area !== 'idle');
    const total = busy.reduce((a, c) => a + c.selfMs, 0);
    const pct = (ms: number) => `${((100 * ms) / total).toFixed(1)} %`;
    process.stdout.write(`\n## ${name}: ${processDir} — ${(total / 1000).toFixed(1)} s busy\n\n| area | self ms | share |\n|---|---|---|\n`);
    for (const a of byArea(busy)) process.stdout.write(`| ${a.area} | ${Math.round(a.selfMs)} | ${pct(a.selfMs)} |\n`);
    process.stdout.write(`\n| function | where | area | self ms | share |\n|---|---|---|---|---|\n`);
    for (const c of busy.slice(0, top)) process.stdout.write(`| ${c.name} | ${c.where} | ${c.area} | ${Math.round(c.selfMs)} | ${pct(c.selfMs)} |\n`);
  }
}
