// Unit tests (pure logic) sit beside the code as *.spec.ts; end-to-end tests against a real
// PostgreSQL live in test/ as *.e2e-spec.ts. The database is the embedded one started in
// globalSetup, or TEST_DATABASE_URL when given; every e2e file gets a fresh database of its own.
// Tests are transpiled only (fast); `npm run typecheck` type-checks src and test together.
const tsJest = ['ts-jest', { tsconfig: 'tsconfig.jest.json' }];

module.exports = {
  testTimeout: 60_000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/src'],
      testMatch: ['**/*.spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
    },
    {
      displayName: 'e2e',
      testEnvironment: 'node',
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.e2e-spec.ts'],
      testPathIgnorePatterns: ['/test/system/'],
      transform: { '^.+\\.ts$': tsJest },
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
    },
    {
      // The built service as separate processes (several instances, signals, stdout): needs
      // `npm run build` first and Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379).
      displayName: 'system',
      testEnvironment: 'node',
      roots: ['<rootDir>/test/system'],
      testMatch: ['**/*.system-spec.ts'],
      transform: { '^.+\\.ts$': tsJest },
      globalSetup: '<rootDir>/test/setup/global-setup.ts',
      globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
    },
  ],
};
