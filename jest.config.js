/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  roots: ['<rootDir>/resources', '<rootDir>/api', '<rootDir>/controllers', '<rootDir>/node', '<rootDir>/cli', '<rootDir>/hack', '<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.(t|j)sx?$': ['@swc/jest', {
      jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
      module: { type: 'es6' },
    }],
  },
  testTimeout: 30000,
  // Rebuilds dist/ when a source is newer (the suites that run compiled code must run the current one).
  globalSetup: '<rootDir>/hack/ensure-build.mjs',
  // Suites that need Postgres/NATS report loud skips through this reporter; see test/services.ts.
  reporters: ['default', '<rootDir>/test/summary-reporter.cjs'],
};
