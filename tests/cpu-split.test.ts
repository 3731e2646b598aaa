import { describe, expect, it } from 'vitest';
import { cpuGapMarkdown, cpuSplit, frameCategory, type CpuProfile, type WorkloadCpuSplit } from '../bench/cpu-split.ts';

// The bench's CPU split classifier, on a hand-built profile: each sample is
// charged to the nearest frame (leaf outwards) whose script names an owner.
const APP = 'file:///app';
const frame = (functionName: string, url = '', scriptId = url ? '7' : '0') => ({ functionName, url, scriptId });

describe('bench CPU split', () => {
  it('names the owner of a frame from its script', () => {
    expect(frameCategory(frame('(garbage collector)'))).toBe('gc');
    expect(frameCategory(frame('(program)'))).toBe('native');
    expect(frameCategory(frame('completeValue', `${APP}/node_modules/graphql/execution/execute.js`))).toBe('graphql');
    expect(frameCategory(frame('', '', '42'))).toBe('graphql'); // eval'd: graphql-jit's compiled query
    expect(frameCategory(frame('stringify'))).toBe('network');
    expect(frameCategory(frame('push'))).toBeNull(); // other builtins: the caller decides
    expect(frameCategory(frame('processRequest', `${APP}/node_modules/@apollo/server/dist/esm/requestPipeline.js`))).toBe('apollo');
    expect(frameCategory(frame('parse', `${APP}/node_modules/pg-protocol/dist/parser.js`))).toBe('prisma');
    expect(frameCategory(frame('q', `${APP}/src/db/generated/internal/class.ts`))).toBe('prisma');
    expect(frameCategory(frame('write', 'node:_http_outgoing'))).toBe('network');
    expect(frameCategory(frame('onStreamRead', 'node:internal/stream_base_commons'))).toBe('network');
    expect(frameCategory(frame('promiseBeforeHook', 'node:internal/async_hooks'))).toBe('async');
    expect(frameCategory(frame('runMicrotasks'))).toBe('async');
    expect(frameCategory(frame('concat', 'node:buffer'))).toBeNull();
    expect(frameCategory(frame('resolve', `${APP}/src/modules/posts/resolvers.ts`))).toBe('agora');
    expect(frameCategory(frame('load', `${APP}/node_modules/dataloader/index.js`))).toBe('other');
  });

  it("puts PostGraphile's parts in the buckets of their Agora counterparts", () => {
    expect(frameCategory(frame('execute', `${APP}/node_modules/grafast/dist/engine/executeBucket.js`))).toBe('graphql');
    expect(frameCategory(frame('handle', `${APP}/node_modules/grafserv/dist/servers/node/index.js`))).toBe('apollo');
    expect(frameCategory(frame('compile', `${APP}/node_modules/pg-sql2/dist/index.js`))).toBe('prisma');
    expect(frameCategory(frame('execute', `${APP}/node_modules/@dataplan/pg/dist/executor.js`))).toBe('prisma');
  });

  it('splits the CPU gap to a peer by bucket, largest part first', () => {
    const split = (peer: string, cpuMsPerRequest: number, shares: Partial<WorkloadCpuSplit['shares']>): WorkloadCpuSplit => ({
      workload: 'W2',
      peer,
      seconds: 5,
      samples: 100,
      cpuMsPerRequest,
      topOther: [],
      shares: { gc: 0, graphql: 0, apollo: 0, prisma: 0, network: 0, agora: 0, async: 0, native: 0, other: 0, ...shares },
    });
    const table = cpuGapMarkdown(
      [split('agora', 8, { prisma: 0.5, gc: 0.5 }), split('postgraphile', 4, { prisma: 0.25, gc: 0.75 })],
      'postgraphile',
      'PG',
    );
    const row = table.find((line) => line.startsWith('| W2 '));
    // Agora: SQL layer 4 ms, GC 4 ms; PG: 1 ms and 3 ms. Gap 4 ms: 3 ms SQL layer (75 %), 1 ms GC (25 %).
    expect(row).toContain('| 8.00 | 4.00 | 4.00 |');
    expect(row).toContain('SQL layer + pg 3.00 ms (75.0 %), GC 1.00 ms (25.0 %) |');
    expect(cpuGapMarkdown([split('agora', 8, {})], 'postgraphile', 'PG')).toEqual([]);
  });

  it('charges builtins and Node internals to their caller and leaves idle out', () => {
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)'), children: [2, 3, 4, 7] },
        { id: 2, callFrame: frame('(idle)') },
        { id: 3, callFrame: frame('(garbage collector)') },
        { id: 4, callFrame: frame('resolve', `${APP}/src/modules/posts/resolvers.ts`), children: [5] },
        { id: 5, callFrame: frame('from', 'node:buffer'), children: [6] },
        { id: 6, callFrame: frame('push') },
        { id: 7, callFrame: frame('load', `${APP}/node_modules/dataloader/index.js`) },
      ],
      samples: [2, 2, 2, 3, 6, 6, 7, 4],
    };
    const split = cpuSplit(profile);
    expect(split.samples).toBe(5);
    expect(split.shares.gc).toBeCloseTo(0.2);
    expect(split.shares.agora).toBeCloseTo(0.6);
    expect(split.shares.other).toBeCloseTo(0.2);
    expect(split.topOther).toEqual([{ name: 'dataloader', share: 0.2 }]);
  });
});
