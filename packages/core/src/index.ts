/** Sluice core: pure message, decider and codec types shared by every other package. */
export const SLUICE_CORE = 'sluice-core';
