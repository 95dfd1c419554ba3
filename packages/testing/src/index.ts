/** Test helpers for Sluice: given/when/then for deciders and projections, broker and database fixtures. */
export * from './decider-spec.ts';
export * from './kafka-fixture.ts';
export * from './postgres-fixture.ts';
export * from './property.ts';
