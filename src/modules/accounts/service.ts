import { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, verifyAgainstDummy, verifyPassword } from '../../auth/passwords.ts';
import type { User } from '../../db/generated/client.ts';
import { isUniqueViolation } from '../../lib/db-errors.ts';
import { AppError, InputChecker, ValidationError, badInput } from '../../lib/errors.ts';
import { isEmail, isUsername, text } from '../../lib/validation.ts';
import { announceRevoked } from '../sessions/revocations.ts';
import { recordAudit } from '../audit/service.ts';
import type { RequestScope } from '../scope.ts';
import { revokeSessions, type AuthResult, type SessionService } from '../sessions/service.ts';
import { requireSession } from '../../auth/guards.ts';

export interface SignUpInput {
  email: string;
  username: string;
  password: string;
  name: string;
  deviceLabel?: string | null;
}

const wrongCredentials = () => new AppError('INVALID_CREDENTIALS', 'Wrong login or password');

/** Checked before any hashing, so an oversized password costs nothing. */
function checkPasswordPolicy(checker: InputChecker, field: string, password: string): void {
  checker.check(
    password.length >= PASSWORD_MIN_LENGTH && password.length <= PASSWORD_MAX_LENGTH,
    field,
    `Must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters`,
  );
}

function normalizeEmail(checker: InputChecker, field: string, raw: string): string {
  const email = raw.trim().toLowerCase();
  checker.check(isEmail(email), field, 'Not a valid email address');
  return email;
}

interface AccountDeps {
  sessions: SessionService;
}

/** The signed-in account, after re-checking its password (for sensitive changes). */
async function confirmPassword(scope: RequestScope, password: string, field: string): Promise<User> {
  const viewer = requireSession(scope);
  const user = await scope.db.user.findUnique({ where: { id: viewer.id } });
  if (!user || password.length > PASSWORD_MAX_LENGTH || !(await verifyPassword(user.passwordHash, password))) {
    throw new AppError('INVALID_CREDENTIALS', 'Password is wrong', { field });
  }
  return user;
}

async function assertEmailFree({ db }: RequestScope, email: string, field: string): Promise<void> {
  if (await db.user.findUnique({ where: { email }, select: { id: true } })) {
    throw new AppError('CONFLICT', 'This email is already registered', { field });
  }
}

/** Names the field (email first) an existing account already holds. */
async function assertAvailable({ db }: RequestScope, email: string, username: string): Promise<void> {
  const taken = await db.user.findMany({ where: { OR: [{ email }, { username }] }, select: { email: true, username: true } });
  if (taken.some((u) => u.email === email)) {
    throw new AppError('CONFLICT', 'This email is already registered', { field: 'input.email' });
  }
  if (taken.some((u) => u.username === username)) {
    throw new AppError('CONFLICT', 'This username is taken', { field: 'input.username' });
  }
}

async function signUp(scope: RequestScope, { sessions }: AccountDeps, input: SignUpInput): Promise<AuthResult> {
  const { db } = scope;
  const checker = new InputChecker();
  const email = normalizeEmail(checker, 'input.email', input.email);
  const username = input.username.trim().toLowerCase();
  checker.check(isUsername(username), 'input.username', 'Use 3 to 30 letters, digits or underscores');
  checkPasswordPolicy(checker, 'input.password', input.password);
  const name = text(checker, 'input.name', input.name, 1, 80);
  checker.throwIfAny();

  await assertAvailable(scope, email, username);
  let user: User;
  try {
    user = await db.user.create({ data: { email, username, name, passwordHash: await hashPassword(input.password) } });
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    // Lost a race with a concurrent sign-up: the winner is committed now,
    // so the same check names the field that was taken.
    await assertAvailable(scope, email, username);
    throw new AppError('CONFLICT', 'This email or username is already taken', { field: 'input.email' });
  }
  await recordAudit(db, scope, { type: 'SIGNED_UP', actorId: user.id, targetUserId: user.id });
  return sessions.start(user, input.deviceLabel);
}

/** Counts the attempt (per address, then per account) and finds the account; audits a throttled attempt. */
async function beginLogIn(scope: RequestScope, login: string) {
  const { db, loginThrottle, request } = scope;
  let user: User | null = null;
  try {
    const attempt = await loginThrottle.begin(request.ip);
    user = login.length > 254 ? null : await db.user.findUnique({ where: login.includes('@') ? { email: login } : { username: login } });
    await attempt.forAccount(user ? { userId: user.id } : { login });
    return { user, attempt };
  } catch (error) {
    if (error instanceof AppError && error.extensions.code === 'RATE_LIMITED') {
      await recordAudit(db, scope, { type: 'LOGIN_THROTTLED', targetUserId: user?.id ?? null, data: { login: login.slice(0, 100) } });
    }
    throw error;
  }
}

/**
 * Same error and the same work (one hash verification) whether the
 * account is unknown, the password wrong or the account suspended:
 * nothing tells them apart, not even a correct password on a suspended
 * account. The attempt is counted before the password is checked.
 */
async function logIn(
  scope: RequestScope,
  { sessions }: AccountDeps,
  input: { login: string; password: string; deviceLabel?: string | null },
): Promise<AuthResult> {
  const { db } = scope;
  const login = input.login.trim().toLowerCase();
  const { user, attempt } = await beginLogIn(scope, login);
  const ok =
    input.password.length <= PASSWORD_MAX_LENGTH &&
    (user?.passwordHash ? await verifyPassword(user.passwordHash, input.password) : await verifyAgainstDummy(input.password));
  if (!user || !ok || user.suspendedAt) {
    await recordAudit(db, scope, {
      type: 'LOGIN_FAILED',
      targetUserId: user?.id ?? null,
      data: { login: login.slice(0, 100), ...(ok && user?.suspendedAt ? { reason: 'suspended' } : {}) },
    });
    throw wrongCredentials();
  }
  await attempt.succeeded();
  await recordAudit(db, scope, { type: 'LOGIN_SUCCEEDED', actorId: user.id, targetUserId: user.id });
  return sessions.start(user, input.deviceLabel);
}

/** Changes the password and ends every other session. */
async function changePassword(scope: RequestScope, input: { currentPassword: string; newPassword: string }): Promise<User> {
  const viewer = requireSession(scope);
  const checker = new InputChecker();
  checkPasswordPolicy(checker, 'input.newPassword', input.newPassword);
  checker.throwIfAny();
  const user = await confirmPassword(scope, input.currentPassword, 'input.currentPassword');
  const passwordHash = await hashPassword(input.newPassword);
  const { updated, ended } = await scope.db.$transaction(async (tx) => {
    const updated = await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    const ended = await revokeSessions(tx, { userId: user.id, exceptId: viewer.sessionId }, 'PASSWORD_CHANGED');
    await recordAudit(tx, scope, {
      type: 'PASSWORD_CHANGED',
      actorId: user.id,
      targetUserId: user.id,
      data: { sessionsEnded: ended.length },
    });
    return { updated, ended };
  });
  announceRevoked(scope.bus, scope.logger, { userId: user.id, sessionIds: ended });
  return updated;
}

async function changeEmail(scope: RequestScope, input: { newEmail: string; password: string }): Promise<User> {
  const checker = new InputChecker();
  const email = normalizeEmail(checker, 'input.newEmail', input.newEmail);
  checker.throwIfAny();
  const user = await confirmPassword(scope, input.password, 'input.password');
  if (email === user.email) throw badInput('input.newEmail', 'This is already your email');
  await assertEmailFree(scope, email, 'input.newEmail');
  try {
    const updated = await scope.db.user.update({ where: { id: user.id }, data: { email } });
    await recordAudit(scope.db, scope, { type: 'EMAIL_CHANGED', actorId: user.id, targetUserId: user.id });
    return updated;
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('CONFLICT', 'This email is already registered', { field: 'input.newEmail' });
    throw error;
  }
}

/** Deletes the account with everything it wrote (posts, comments, reactions, follows). */
async function deleteAccount(scope: RequestScope, input: { password: string }): Promise<string> {
  const user = await confirmPassword(scope, input.password, 'input.password');
  await scope.db.$transaction(async (tx) => {
    await tx.user.delete({ where: { id: user.id } });
    await recordAudit(tx, scope, { type: 'ACCOUNT_DELETED', targetUserId: user.id, data: { username: user.username } });
  });
  announceRevoked(scope.bus, scope.logger, { userId: user.id, wholeAccount: true });
  return user.id;
}

export function createAccountService(scope: RequestScope, deps: AccountDeps) {
  return {
    signUp: (input: SignUpInput) => signUp(scope, deps, input),
    logIn: (input: Parameters<typeof logIn>[2]) => logIn(scope, deps, input),
    changePassword: (input: Parameters<typeof changePassword>[1]) => changePassword(scope, input),
    changeEmail: (input: Parameters<typeof changeEmail>[1]) => changeEmail(scope, input),
    deleteAccount: (input: { password: string }) => deleteAccount(scope, input),
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
