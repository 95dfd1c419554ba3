/** In-memory ports and a test server, for route tests of apps built on @sluice/http. */
export * from './fakes.ts';
export * from './test-server.ts';
