import { hash, verify } from '@node-rs/argon2';

// argon2id at OWASP's current minimum (m=19 MiB, t=2, p=1). `Algorithm` is a
// const enum in the typings, which isolated-module builds cannot import: 2 is
// Argon2id.
const ARGON2ID = 2;
const OPTIONS = { algorithm: ARGON2ID, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

// A real hash of a random password, verified against when the account does
// not exist, so a login for an unknown user costs what a wrong password costs.
let dummyHash: Promise<string> | undefined;
export function verifyAgainstDummy(password: string): Promise<boolean> {
  dummyHash ??= hashPassword(`dummy-${Math.random()}-${Date.now()}`);
  return dummyHash.then((h) => verifyPassword(h, password)).then(() => false);
}
