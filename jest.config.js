// Jest in ESM mode, as actions/typescript-action runs it: ts-jest compiles the
// TypeScript, and ESM-only dependencies (kubo-rpc-client, @actions/*) load
// natively under --experimental-vm-modules.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json', diagnostics: { ignoreCodes: [151002] } }]
  },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  globalSetup: '<rootDir>/__tests__/servers/global-setup.ts',
  globalTeardown: '<rootDir>/__tests__/servers/global-teardown.ts',
  testTimeout: 120_000,
  // Two cores: container tests in parallel with the unit tests, no more.
  maxWorkers: 2
}
