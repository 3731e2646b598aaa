import { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, verifyAgainstDummy, verifyPassword } from '../auth/passwords.ts';
import type { User } from '../db/generated/client.ts';
import { isUniqueViolation } from '../lib/db-errors.ts';
import { AppError, InputChecker, ValidationError } from '../lib/errors.ts';
import { text } from '../lib/validation.ts';
import type { RequestScope } from './deps.ts';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const USERNAME = /^[a-z0-9_]{3,30}$/;

export interface SignUpInput {
  email: string;
  username: string;
  password: string;
  name: string;
}

export interface AuthResult {
  accessToken: string;
  accessTokenExpiresAt: Date;
  user: User;
}

export function createAccountService(scope: RequestScope) {
  const { db, tokens } = scope;

  const authResult = (user: User): AuthResult => {
    const { token, expiresAt } = tokens.issueAccessToken(user.id);
    return { accessToken: token, accessTokenExpiresAt: expiresAt, user };
  };

  return {
    async signUp(input: SignUpInput): Promise<AuthResult> {
      const checker = new InputChecker();
      const email = input.email.trim().toLowerCase();
      const username = input.username.trim().toLowerCase();
      checker.check(email.length <= 254 && EMAIL.test(email), 'input.email', 'Not a valid email address');
      checker.check(USERNAME.test(username), 'input.username', 'Use 3 to 30 letters, digits or underscores');
      // Length is checked before hashing, so a huge password costs nothing.
      checker.check(
        input.password.length >= PASSWORD_MIN_LENGTH && input.password.length <= PASSWORD_MAX_LENGTH,
        'input.password',
        `Must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`,
      );
      const name = text(checker, 'input.name', input.name, 1, 80);
      checker.throwIfAny();

      const assertAvailable = async () => {
        const taken = await db.user.findMany({
          where: { OR: [{ email }, { username }] },
          select: { email: true, username: true },
        });
        if (taken.some((u) => u.email === email)) {
          throw new AppError('CONFLICT', 'This email is already registered', { field: 'input.email' });
        }
        if (taken.some((u) => u.username === username)) {
          throw new AppError('CONFLICT', 'This username is taken', { field: 'input.username' });
        }
      };
      await assertAvailable();
      try {
        const user = await db.user.create({
          data: { email, username, name, passwordHash: await hashPassword(input.password) },
        });
        return authResult(user);
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // Lost a race with a concurrent sign-up: the winner is committed now,
        // so the same check names the field that was taken.
        await assertAvailable();
        throw new AppError('CONFLICT', 'This email or username is already taken', { field: 'input.email' });
      }
    },

    async logIn(input: { login: string; password: string }): Promise<AuthResult> {
      if (input.password.length > PASSWORD_MAX_LENGTH) {
        throw new AppError('INVALID_CREDENTIALS', 'Wrong login or password');
      }
      const login = input.login.trim().toLowerCase();
      const user = await db.user.findUnique({ where: login.includes('@') ? { email: login } : { username: login } });
      // Unknown accounts cost one hash verification too: no timing oracle.
      const ok = user ? await verifyPassword(user.passwordHash, input.password) : await verifyAgainstDummy(input.password);
      if (!user || !ok) throw new AppError('INVALID_CREDENTIALS', 'Wrong login or password');
      return authResult(user);
    },
  };
}

export function assertExactlyOne(values: Record<string, unknown>): void {
  const given = Object.entries(values).filter(([, v]) => v != null);
  if (given.length !== 1) {
    throw new ValidationError(
      Object.keys(values).map((field) => ({ field, message: `Give exactly one of ${Object.keys(values).join(', ')}` })),
    );
  }
}
