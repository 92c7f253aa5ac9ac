/** Shared fixtures of the remote tests: a tiny model folder and a Tinker server on 127.0.0.1. */
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { writeModelFolder } from '../../src/model/folder.ts';
import { createTinkerService, type TinkerService, type TinkerServiceOptions } from '../../src/serve/tinker/index.ts';
import { randomWeights, tinyConfig } from '../model/helpers.ts';

export function makeModelFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'longrl-remote-'));
  const dir = join(root, 'tiny');
  const cfg = tinyConfig();
  writeModelFolder(dir, { config: cfg, weights: randomWeights(cfg, 7, 0.1).toTensors() });
  return dir;
}

export interface TinkerFixture {
  url: string;
  service: TinkerService;
  close(): Promise<void>;
}

export async function startTinker(opts: TinkerServiceOptions): Promise<TinkerFixture> {
  const service = createTinkerService(opts);
  const server: Server = createServer((req, res) => service.handleTinkerRequest(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    service,
    async close() {
      service.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export function checksum(a: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
}
