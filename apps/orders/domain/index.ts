/** The shop's domain: users and orders, their deciders, command registry and price bands. */
export * from './order/order.ts';
export * from './order/price-band.ts';
export * from './registry.ts';
export * from './user/user.ts';
