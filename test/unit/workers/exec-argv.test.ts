import { describe, expect, it } from '@jest/globals';
import { WORKER_SEMI_SPACE_MIB, workerExecArgv } from '../../../src/workers/pool.js';

const SEMI_SPACE = `--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`;
const NO_FRAME = '--no-async-context-frame';
const NO_PARALLEL_SCAVENGE = '--no-parallel-scavenge';
const HEAP_GROWING = '--heap-growing-percent=150';
const KEEP_CODE = '--no-memory-reducer-favors-memory';
const knowsAll = () => true;

describe('workerExecArgv', () => {
  it("adds the semi-space cap and turns AsyncContextFrame off after the controller's flags", () => {
    expect(workerExecArgv(['--enable-source-maps'], undefined, knowsAll)).toEqual(['--enable-source-maps', SEMI_SPACE, NO_FRAME, NO_PARALLEL_SCAVENGE, HEAP_GROWING, KEEP_CODE]);
    expect(workerExecArgv([], '--max-old-space-size=512', knowsAll)).toEqual([SEMI_SPACE, NO_FRAME, NO_PARALLEL_SCAVENGE, HEAP_GROWING, KEEP_CODE]);
  });

  it('leaves the semi-space size an operator set, in node flags or NODE_OPTIONS, in either spelling', () => {
    expect(workerExecArgv(['--max-semi-space-size=4'], undefined, knowsAll)).toEqual(['--max-semi-space-size=4', NO_FRAME, NO_PARALLEL_SCAVENGE, HEAP_GROWING, KEEP_CODE]);
    expect(workerExecArgv(['--max-semi-space-size', '4'], undefined, knowsAll)).toEqual(['--max-semi-space-size', '4', NO_FRAME, NO_PARALLEL_SCAVENGE, HEAP_GROWING, KEEP_CODE]);
    expect(workerExecArgv([], '--trace-gc --max_semi_space_size=32', knowsAll)).toEqual([NO_FRAME, NO_PARALLEL_SCAVENGE, HEAP_GROWING, KEEP_CODE]);
  });

  it('leaves AsyncContextFrame as the operator set it, either way', () => {
    expect(workerExecArgv(['--async-context-frame'], undefined, knowsAll)).toEqual(['--async-context-frame', SEMI_SPACE, NO_PARALLEL_SCAVENGE, HEAP_GROWING, KEEP_CODE]);
    expect(workerExecArgv([], '--no-async-context-frame', knowsAll)).toEqual([SEMI_SPACE, NO_PARALLEL_SCAVENGE, HEAP_GROWING, KEEP_CODE]);
    for (const given of ['--no_async_context_frame', '--async_context_frame']) {
      expect(workerExecArgv([given], undefined, knowsAll)).toEqual([given, SEMI_SPACE, NO_PARALLEL_SCAVENGE, HEAP_GROWING, KEEP_CODE]);
    }
    expect(workerExecArgv(['--experimental-async-context-frame'], undefined, knowsAll)).toEqual(['--experimental-async-context-frame', SEMI_SPACE, NO_PARALLEL_SCAVENGE, HEAP_GROWING, KEEP_CODE]);
  });

  it('adds no flag this node does not know (an older node would refuse to start the worker)', () => {
    const asked: string[] = [];
    const node20 = (flag: string) => {
      asked.push(flag);
      return flag !== NO_FRAME;
    };
    expect(workerExecArgv([], undefined, node20, 20)).toEqual([SEMI_SPACE, NO_PARALLEL_SCAVENGE, HEAP_GROWING]);
    // Asked by the option's name, without its value; V8's own flags are not asked about (node
    // lists only what NODE_OPTIONS takes): every supported node has them, or they name the node
    // version that brought them (node 20 lacks --no-memory-reducer-favors-memory).
    expect(asked).toEqual(['--max-semi-space-size', NO_FRAME]);
  });

  it('leaves parallel scavenging as the operator set it, in any spelling V8 takes', () => {
    for (const given of ['--parallel-scavenge', '--no-parallel-scavenge', '--noparallel-scavenge', '--parallel_scavenge', '--no_parallel_scavenge']) {
      expect(workerExecArgv([given], undefined, knowsAll)).toEqual([given, SEMI_SPACE, NO_FRAME, HEAP_GROWING, KEEP_CODE]);
    }
  });

  it('leaves the heap growing factor as the operator set it', () => {
    for (const given of ['--heap-growing-percent=50', '--heap_growing_percent=0']) {
      expect(workerExecArgv([given], undefined, knowsAll)).toEqual([given, SEMI_SPACE, NO_FRAME, NO_PARALLEL_SCAVENGE, KEEP_CODE]);
    }
    expect(workerExecArgv(['--heap-growing-percent', '300'], undefined, knowsAll)).toEqual(['--heap-growing-percent', '300', SEMI_SPACE, NO_FRAME, NO_PARALLEL_SCAVENGE, KEEP_CODE]);
  });

  it('adds the memory reducer flag on node 24 and later only (node 20 refuses it)', () => {
    expect(workerExecArgv([], undefined, knowsAll, 22)).toEqual([SEMI_SPACE, NO_FRAME, NO_PARALLEL_SCAVENGE, HEAP_GROWING]);
    expect(workerExecArgv([], undefined, knowsAll, 24)).toEqual([SEMI_SPACE, NO_FRAME, NO_PARALLEL_SCAVENGE, HEAP_GROWING, KEEP_CODE]);
    expect(workerExecArgv([], undefined, knowsAll, 26)).toEqual([SEMI_SPACE, NO_FRAME, NO_PARALLEL_SCAVENGE, HEAP_GROWING, KEEP_CODE]);
  });

  it('leaves the memory reducer\'s mode as the operator set it, in any spelling V8 takes', () => {
    for (const given of ['--memory-reducer-favors-memory', '--no-memory-reducer-favors-memory', '--nomemory-reducer-favors-memory', '--no_memory_reducer_favors_memory', '--memory_reducer_favors_memory']) {
      expect(workerExecArgv([given], undefined, knowsAll, 24)).toEqual([given, SEMI_SPACE, NO_FRAME, NO_PARALLEL_SCAVENGE, HEAP_GROWING]);
    }
    expect(workerExecArgv([], '--memory-reducer-favors-memory', knowsAll, 24)).toEqual([SEMI_SPACE, NO_FRAME, NO_PARALLEL_SCAVENGE, HEAP_GROWING]);
  });

  it("asks the running node by default: the project's node 24 knows every flag", () => {
    expect(workerExecArgv([], undefined)).toEqual([SEMI_SPACE, NO_FRAME, NO_PARALLEL_SCAVENGE, HEAP_GROWING, KEEP_CODE]);
  });
});
