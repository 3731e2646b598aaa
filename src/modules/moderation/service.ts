import type { Comment, Post, Prisma, Role, User } from '../../db/generated/client.ts';
import { badInput, forbidden, notFound } from '../../lib/errors.ts';
import { expectGlobalId } from '../../lib/global-id.ts';
import { announceRevoked } from '../sessions/revocations.ts';
import { recordAudit } from '../audit/service.ts';
import type { RequestScope, Viewer } from '../scope.ts';
import { revokeSessions } from '../sessions/service.ts';
import { requireViewer } from '../../auth/guards.ts';
import { canSeeIfDraft } from '../posts/policy.ts';
import { canActOnAccount, canModerateContent, canSetRoles, isSelf } from './policy.ts';

// The SDL's @hasRole directives gate these mutations; moderation/policy.ts
// holds the rules about whom they may be applied to.

/** The moderator acting: the SDL's @hasRole gate already refused everyone else; this keeps the rule with its peers. */
function moderator(scope: RequestScope): Viewer {
  const me = requireViewer(scope);
  if (!canModerateContent(me)) throw forbidden('This needs the MODERATOR role');
  return me;
}

async function target({ db }: RequestScope, globalId: string): Promise<User> {
  const user = await db.user.findUnique({ where: { id: expectGlobalId(globalId, 'User', 'input.userId') } });
  if (!user) throw notFound('User', 'input.userId');
  return user;
}

async function setPostHidden(scope: RequestScope, globalId: string, hidden: boolean, reason?: string | null): Promise<Post> {
  const me = moderator(scope);
  const id = expectGlobalId(globalId, 'Post', 'input.id');
  const post = await scope.db.post.findUnique({ where: { id } });
  // A draft the moderator may not see reads as missing; hidden posts are theirs to see.
  if (!post || !canSeeIfDraft(me, post)) throw notFound('Post', 'input.id');
  return recordHiding(scope, { me, hidden, reason, authorId: post.authorId, target: { postId: id } }, (tx, hiddenAt) =>
    tx.post.update({ where: { id }, data: { hiddenAt } }),
  );
}

async function setCommentHidden(scope: RequestScope, globalId: string, hidden: boolean, reason?: string | null): Promise<Comment> {
  const me = moderator(scope);
  const id = expectGlobalId(globalId, 'Comment', 'input.id');
  const comment = await scope.db.comment.findUnique({ where: { id } });
  if (!comment) throw notFound('Comment', 'input.id');
  return recordHiding(scope, { me, hidden, reason, authorId: comment.authorId, target: { commentId: id } }, (tx, hiddenAt) =>
    tx.comment.update({ where: { id }, data: { hiddenAt } }),
  );
}

/** Hides or restores one piece of content (`update` writes its `hiddenAt`) and audits it, in one transaction. */
function recordHiding<T>(
  scope: RequestScope,
  change: { me: Viewer; hidden: boolean; reason?: string | null; authorId: string; target: { postId: string } | { commentId: string } },
  update: (tx: Prisma.TransactionClient, hiddenAt: Date | null) => Promise<T>,
): Promise<T> {
  return scope.db.$transaction(async (tx) => {
    const updated = await update(tx, change.hidden ? new Date() : null);
    await recordAudit(tx, scope, {
      type: change.hidden ? 'CONTENT_HIDDEN' : 'CONTENT_RESTORED',
      actorId: change.me.id,
      targetUserId: change.authorId,
      data: { ...change.target, reason: change.reason ?? null },
    });
    return updated;
  });
}

/** Suspends an account: its sessions end and it can no longer sign in or write. */
async function suspend(scope: RequestScope, globalId: string, reason?: string | null): Promise<User> {
  const me = moderator(scope);
  const user = await target(scope, globalId);
  if (isSelf(me, user)) throw badInput('input.userId', 'You cannot suspend yourself');
  if (!canActOnAccount(me, user)) throw forbidden('Only admins may suspend staff');
  const updated = await scope.db.$transaction(async (tx) => {
    const updated = await tx.user.update({ where: { id: user.id }, data: { suspendedAt: user.suspendedAt ?? new Date() } });
    await revokeSessions(tx, { userId: user.id }, 'SUSPENDED');
    await recordAudit(tx, scope, { type: 'USER_SUSPENDED', actorId: me.id, targetUserId: user.id, data: { reason: reason ?? null } });
    return updated;
  });
  // API keys and external tokens of the account stop too.
  announceRevoked(scope.bus, scope.logger, { userId: user.id, wholeAccount: true });
  return updated;
}

async function unsuspend(scope: RequestScope, globalId: string): Promise<User> {
  const me = moderator(scope);
  const user = await target(scope, globalId);
  if (!canActOnAccount(me, user)) throw forbidden('Only admins may restore staff');
  return scope.db.$transaction(async (tx) => {
    const updated = await tx.user.update({ where: { id: user.id }, data: { suspendedAt: null } });
    await recordAudit(tx, scope, { type: 'USER_UNSUSPENDED', actorId: me.id, targetUserId: user.id });
    return updated;
  });
}

async function setRole(scope: RequestScope, globalId: string, role: Role): Promise<User> {
  const me = requireViewer(scope);
  if (!canSetRoles(me)) throw forbidden('This needs the ADMIN role');
  const user = await target(scope, globalId);
  if (isSelf(me, user)) throw badInput('input.userId', 'You cannot change your own role');
  const updated = await scope.db.$transaction(async (tx) => {
    const updated = await tx.user.update({ where: { id: user.id }, data: { role } });
    await recordAudit(tx, scope, { type: 'ROLE_CHANGED', actorId: me.id, targetUserId: user.id, data: { from: user.role, to: role } });
    return updated;
  });
  // Open sockets hold the old role: they close on every instance.
  if (user.role !== role) announceRevoked(scope.bus, scope.logger, { userId: user.id, roleChanged: true });
  return updated;
}

export function createModerationService(scope: RequestScope) {
  return {
    hidePost: (id: string, reason?: string | null) => setPostHidden(scope, id, true, reason),
    restorePost: (id: string) => setPostHidden(scope, id, false),
    hideComment: (id: string, reason?: string | null) => setCommentHidden(scope, id, true, reason),
    restoreComment: (id: string) => setCommentHidden(scope, id, false),
    suspend: (id: string, reason?: string | null) => suspend(scope, id, reason),
    unsuspend: (id: string) => unsuspend(scope, id),
    setRole: (id: string, role: Role) => setRole(scope, id, role),
  };
}
