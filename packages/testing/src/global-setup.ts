/** Global test setup: provisions shared services once for the whole `node --test` run. */
export async function globalSetup(): Promise<void> {
  process.env.SLUICE_TEST_SETUP = '1';
}

export async function globalTeardown(): Promise<void> {}
