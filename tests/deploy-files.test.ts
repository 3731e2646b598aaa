// The deployment files (Dockerfile, compose.yaml, deploy/haproxy.cfg) can't
// run on machines without a Docker engine; these checks keep them structurally
// sound: stages, user, health checks, service wiring and the HAProxy syntax.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const read = (file: string) => readFileSync(path.join(root, file), 'utf8');

/** Dockerfile instructions, continuation lines joined, comments dropped. */
function dockerInstructions(text: string): string[] {
  const logical = text.replace(/\\\n/g, ' ');
  return logical
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

describe('Dockerfile', () => {
  const instructions = dockerInstructions(read('Dockerfile'));
  const froms = instructions.filter((i) => /^FROM\s/i.test(i));
  const finalStage = instructions.slice(instructions.lastIndexOf(froms.at(-1)!));

  it('is multi-stage with named stages', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/\sAS\s+[a-z][\w-]*$/i);
  });

  it('runs the final stage as a user that is not root', () => {
    const users = finalStage.filter((i) => /^USER\s/i.test(i));
    expect(users.length).toBeGreaterThan(0);
    expect(users.at(-1)).not.toMatch(/^USER\s+(root|0)(:|$)/i);
  });

  it('has a HEALTHCHECK on /health and production defaults', () => {
    const healthcheck = finalStage.find((i) => /^HEALTHCHECK\s/i.test(i));
    expect(healthcheck).toContain('/health');
    const env = finalStage.filter((i) => /^ENV\s/i.test(i)).join(' ');
    expect(env).toMatch(/NODE_ENV=production/);
    expect(env).toMatch(/HOST=0\.0\.0\.0/);
  });

  it('installs with npm ci only, without devDependencies', () => {
    const runs = instructions.filter((i) => /^RUN\s/i.test(i)).join('\n');
    expect(runs).not.toMatch(/npm (install|i|add)\b/);
    expect(runs).toMatch(/npm ci\b.*--omit=dev/);
  });
});

interface ComposeService {
  privileged?: boolean;
  ports?: unknown[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test?: unknown; disable?: boolean };
}

describe('compose.yaml', () => {
  const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, ComposeService> };
  const services = compose.services;
  const agoras = ['agora-1', 'agora-2'];

  it('has the instances, load balancer, databases, Redis and the migrate job', () => {
    expect(Object.keys(services).sort()).toEqual(['agora-1', 'agora-2', 'lb', 'migrate', 'postgres', 'postgres-replica', 'redis'].sort());
  });

  it('starts Agora after the migration has succeeded and PostgreSQL is healthy', () => {
    for (const name of agoras) {
      const deps = services[name]?.depends_on as Record<string, { condition: string }>;
      expect(deps.migrate?.condition, name).toBe('service_completed_successfully');
      expect(deps.postgres?.condition, name).toBe('service_healthy');
      expect(deps.redis?.condition, name).toBe('service_healthy');
    }
  });

  it('gives every instance the primary, the replica and Redis', () => {
    for (const name of agoras) {
      const env = services[name]?.environment ?? {};
      expect(env.DATABASE_URL, name).toMatch(/@postgres:5432\//);
      expect(env.DATABASE_REPLICA_URLS, name).toMatch(/@postgres-replica:5432\//);
      expect(env.REDIS_URL, name).toBe('redis://redis:6379');
      expect(env.JWT_SECRET, name).toMatch(/^\$\{JWT_SECRET:\?/);
    }
  });

  it('publishes only the load balancer', () => {
    const published = Object.entries(services).filter(([, s]) => (s.ports ?? []).length > 0);
    expect(published.map(([name]) => name)).toEqual(['lb']);
  });

  it('runs nothing privileged and health-checks every long-running service', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.privileged ?? false, name).toBe(false);
      if (name === 'migrate') continue;
      // Agora's health check is the image's HEALTHCHECK.
      if (agoras.includes(name)) continue;
      expect(service.healthcheck?.test, name).toBeDefined();
    }
  });
});

const haproxy = spawnSync('haproxy', ['-v']);

describe('deploy/haproxy.cfg', () => {
  it.skipIf(haproxy.error !== undefined)('passes `haproxy -c` (skipped when haproxy is not installed)', () => {
    // Throws (and fails the test) on a non-zero exit; warnings about backend
    // names that don't resolve outside Docker are expected.
    const output = execFileSync('haproxy', ['-c', '-f', path.join(root, 'deploy/haproxy.cfg')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(output).toContain('Configuration file is valid');
  });

  it('balances round-robin on /ready and keeps WebSocket tunnels open', () => {
    const cfg = read('deploy/haproxy.cfg');
    expect(cfg).toMatch(/^\s*mode http$/m);
    expect(cfg).toMatch(/^\s*balance roundrobin$/m);
    expect(cfg).toMatch(/^\s*option httpchk GET \/ready$/m);
    expect(cfg).toMatch(/^\s*timeout tunnel \S+$/m);
  });

  it("serves compose.yaml's instances by default, with addresses the loopback test can override", () => {
    const cfg = read('deploy/haproxy.cfg');
    const compose = parse(read('compose.yaml'), { merge: true }) as { services: Record<string, unknown> };
    const instances = Object.keys(compose.services).filter((name) => name.startsWith('agora-'));
    const servers = cfg.split('\n').filter((line) => line.trim().startsWith('server '));
    expect(servers.map((line) => line.trim())).toEqual(instances.map((name, i) => `server ${name} "\${AGORA_${i + 1}_ADDR-${name}:4000}"`));
    expect(cfg).toMatch(/^\s*bind "\$\{AGORA_LB_BIND-:8080\}"$/m);
  });
});
