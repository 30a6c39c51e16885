// Unit/golden tests (pure code, no sockets) and end-to-end tests (real `sluice` process from
// dist/, real local backends). Integration tests against a real kube-apiserver have their own
// config: jest.integration.config.js. The chart project runs charts/sluice through the real
// helm binary (test/cluster/build-helm.sh installs it; `npm run test:chart`).
const common = {
  preset: 'ts-jest/presets/default-esm',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json', diagnostics: { ignoreCodes: ['TS151001'] } }],
  },
  testEnvironment: 'node',
};

export default {
  // Applies to every project (a per-project testTimeout is ignored when projects are used).
  testTimeout: 30000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    { ...common, displayName: 'chart', testMatch: ['<rootDir>/test/chart/**/*.test.ts'] },
  ],
};
