import { createHash } from 'node:crypto';
import type { AppConfig } from '../config.ts';
import { AppError } from '../lib/errors.ts';
import type { CounterStore } from './counter-store.ts';

/**
 * Slows password guessing: after too many failures for one login name, or
 * from one address, further attempts are refused until the window ends.
 * Counting by the login as typed (not by account) keeps locked and unknown
 * accounts indistinguishable.
 */
export class LoginThrottle {
  constructor(
    private readonly store: CounterStore,
    private readonly policy: AppConfig['loginThrottle'],
  ) {}

  private keys(login: string, ip: string | null) {
    const loginKey = `login:${createHash('sha256').update(login.trim().toLowerCase()).digest('hex')}`;
    return { loginKey, ipKey: ip ? `login-ip:${ip}` : null };
  }

  async assertAllowed(login: string, ip: string | null): Promise<void> {
    const { loginKey, ipKey } = this.keys(login, ip);
    const [byLogin, byIp] = await Promise.all([this.store.peek(loginKey), ipKey ? this.store.peek(ipKey) : null]);
    const blocked = [
      byLogin.count >= this.policy.maxFailuresPerLogin ? byLogin.ttlSeconds : 0,
      byIp && byIp.count >= this.policy.maxFailuresPerIp ? byIp.ttlSeconds : 0,
    ];
    const retryAfterSeconds = Math.max(...blocked);
    if (retryAfterSeconds > 0) {
      throw new AppError('RATE_LIMITED', 'Too many failed logins; try again later', { retryAfterSeconds });
    }
  }

  async recordFailure(login: string, ip: string | null): Promise<void> {
    const { loginKey, ipKey } = this.keys(login, ip);
    await Promise.all([
      this.store.increment(loginKey, this.policy.windowSeconds),
      ipKey ? this.store.increment(ipKey, this.policy.windowSeconds) : null,
    ]);
  }

  async recordSuccess(login: string): Promise<void> {
    await this.store.reset(this.keys(login, null).loginKey);
  }
}
