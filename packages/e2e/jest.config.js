import { jestConfig } from '../../jest.preset.js';

// Each file starts its own servers; two files at once would fight over the 2 cores and blur the timings.
export default jestConfig({ testTimeout: 120_000, maxWorkers: 1 });
