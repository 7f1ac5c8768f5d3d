import type { BrandAdapter } from '../brand-adapter.js';
import { enodeAdapter } from './enode.js';
import { geotabAdapter } from './geotab.js';
import { highMobilityAdapter } from './high-mobility.js';
import { openobdAdapter } from './openobd.js';
import { segwayAdapter } from './segway.js';
import { smartcarAdapter } from './smartcar.js';
import { teslaAdapter } from './tesla.js';

/**
 * The brands whose token the vault can obtain, by catalogue slug (docs/design.md §2.9). A brand not
 * here (niu, mercedes-benz, samsara) answers 409 exchange-not-supported. Adding a brand is one
 * new adapter file and one line here.
 */
export const adapters: ReadonlyMap<string, BrandAdapter> = new Map(
  [segwayAdapter, teslaAdapter, highMobilityAdapter, openobdAdapter, smartcarAdapter, enodeAdapter, geotabAdapter].map((a) => [a.brand, a]),
);
