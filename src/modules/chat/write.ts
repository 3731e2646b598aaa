import { Outbox, type Tx } from '../../events/outbox.ts';
import type { RequestScope } from '../scope.ts';

/** Runs `work` in a transaction with an outbox, then dispatches its events. */
export async function writeWithEvents<T>(scope: RequestScope, work: (tx: Tx, outbox: Outbox) => Promise<T>): Promise<T> {
  const result = await scope.db.$transaction(async (tx) => {
    const outbox = new Outbox();
    const value = await work(tx, outbox);
    await outbox.flush(tx);
    return value;
  });
  scope.realtime.kick();
  return result;
}

/** The user ids of a conversation's members, inside the transaction. */
export async function memberIds(tx: Tx, conversationId: string): Promise<string[]> {
  const rows = await tx.conversationMember.findMany({ where: { conversationId }, select: { userId: true } });
  return rows.map((r) => r.userId);
}
