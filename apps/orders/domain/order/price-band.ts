/** Unit-price bands the shop shows items in: cheap < £5, affordable £5–£50 inclusive, expensive > £50. */
export type PriceBand = 'cheap' | 'affordable' | 'expensive';

export const PRICE_BANDS: readonly PriceBand[] = ['cheap', 'affordable', 'expensive'];

/** The band of a unit price in integer pence: 499 cheap, 500 and 5000 affordable, 5001 expensive. */
export function priceBand(pence: number): PriceBand {
  if (pence < 500) return 'cheap';
  if (pence <= 5000) return 'affordable';
  return 'expensive';
}
