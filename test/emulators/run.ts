import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startAllEmulators } from './all.js';

/**
 * `npm run emulators`: every brand's emulator on 127.0.0.1 (ports 9401-9407, or from
 * EMULATOR_BASE_PORT), each accepting one demo account, and the lines to paste before `npm start`.
 */
const basePort = Number(process.env.EMULATOR_BASE_PORT ?? 9401);
const emulators = await startAllEmulators({ basePort });
const demoSecret = 'demo-secret';
for (const brand of ['segway', 'tesla', 'high-mobility', 'openobd', 'smartcar', 'enode']) {
  emulators[brand]!.accounts.set(brand === 'segway' ? 'E-demo' : 'demo-client', demoSecret);
}
emulators.geotab!.accounts.set('demo_db/api@demo.example', demoSecret);
// A High Mobility service-account key, as the console would hand it out.
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
emulators['high-mobility']!.keys.set('demo-key', publicKey);
const keyFile = path.join(os.tmpdir(), 'fleetvault-demo-hm-key.pem');
fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });

const lines = [
  '# brand emulators on loopback; paste these before `npm start`:',
  ...Object.entries(emulators.env).map(([name, url]) => `export ${name}=${url}`),
  '',
  '# demo accounts they accept:',
  `#   segway: client_id=E-demo client_secret=${demoSecret}`,
  `#   tesla, high-mobility, openobd, smartcar, enode: client_id=demo-client client_secret=${demoSecret}`,
  `#   high-mobility key: key_id=demo-key private_key=$(cat ${keyFile})`,
  `#   geotab: database=demo_db username=api@demo.example password=${demoSecret} server=my.geotab.com`,
  '# Ctrl-C stops them.',
];
process.stdout.write(`${lines.join('\n')}\n`);
const stop = async () => {
  await emulators.closeAll();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
