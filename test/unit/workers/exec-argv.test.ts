import { describe, expect, it } from '@jest/globals';
import { WORKER_SEMI_SPACE_MIB, workerExecArgv } from '../../../src/workers/pool.js';

describe('workerExecArgv', () => {
  it("adds the semi-space cap to the controller's flags", () => {
    expect(workerExecArgv(['--enable-source-maps'], undefined)).toEqual(['--enable-source-maps', `--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`]);
    expect(workerExecArgv([], '--max-old-space-size=512')).toEqual([`--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`]);
  });

  it('leaves the size an operator set, in node flags or NODE_OPTIONS, in either spelling', () => {
    expect(workerExecArgv(['--max-semi-space-size=4'], undefined)).toEqual(['--max-semi-space-size=4']);
    expect(workerExecArgv(['--max-semi-space-size', '4'], undefined)).toEqual(['--max-semi-space-size', '4']);
    expect(workerExecArgv([], '--trace-gc --max_semi_space_size=32')).toEqual([]);
  });
});
