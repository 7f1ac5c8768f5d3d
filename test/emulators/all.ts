import { type Emulator, startEmulator } from './emulator.js';
import { enodeEmulator } from './enode.js';
import { geotabEmulator } from './geotab.js';
import { highMobilityEmulator } from './high-mobility.js';
import { openobdEmulator } from './openobd.js';
import { segwayEmulator } from './segway.js';
import { smartcarEmulator } from './smartcar.js';
import { teslaEmulator } from './tesla.js';

export const emulatorSpecs = [
  segwayEmulator,
  teslaEmulator,
  highMobilityEmulator(),
  openobdEmulator,
  smartcarEmulator,
  enodeEmulator,
  geotabEmulator,
];

export type Emulators = Record<string, Emulator> & { env: Record<string, string>; closeAll(): Promise<void> };

/** Every brand's emulator on loopback (port 0: any free port, or consecutive ports from `basePort`). */
export async function startAllEmulators(options: { basePort?: number; host?: string } = {}): Promise<Emulators> {
  const started = await Promise.all(
    emulatorSpecs.map((spec, i) =>
      startEmulator(spec, { ...(options.basePort !== undefined && { port: options.basePort + i }), host: options.host }),
    ),
  );
  const result = Object.fromEntries(started.map((e) => [e.brand, e])) as Emulators;
  result.env = Object.fromEntries(started.map((e) => [e.envName, e.url]));
  result.closeAll = async () => {
    await Promise.all(started.map((e) => e.close()));
  };
  return result;
}
