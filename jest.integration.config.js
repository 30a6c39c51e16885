// Integration tests against a REAL etcd + kube-apiserver built from Go modules
// (test/cluster/README.md). Run inside a network namespace:
//   bash test/cluster/in-netns.sh node --experimental-vm-modules node_modules/jest/bin/jest.js \
//     -c jest.integration.config.js
// globalSetup builds the binaries (cached) and starts one cluster for the run; tests reach it
// with attachCluster() from test/cluster/harness.ts.
export default {
  preset: 'ts-jest/presets/default-esm',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      'ts-jest',
      { useESM: true, tsconfig: 'tsconfig.test.json', diagnostics: { ignoreCodes: ['TS151001'] } },
    ],
  },
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
  testTimeout: 60000,
  maxWorkers: 1,
  globalSetup: '<rootDir>/test/cluster/global-setup.ts',
  globalTeardown: '<rootDir>/test/cluster/global-teardown.ts',
};
