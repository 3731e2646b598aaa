import type { ConversationEventKind, MessageEventKind } from '../../graphql/resolvers.generated.ts';
import { streams, type Outbox } from '../../events/outbox.ts';

// The events chat emits. Kinds are the SDL's enums (generated types).

export type { ConversationEventKind, MessageEventKind };

/** Event types on `conversation:<id>` streams, one per MessageEventKind. */
const MESSAGE_EVENT_TYPES = {
  CREATED: 'MESSAGE_CREATED',
  EDITED: 'MESSAGE_EDITED',
  DELETED: 'MESSAGE_DELETED',
} as const satisfies Record<MessageEventKind, string>;

const MESSAGE_KIND_OF_TYPE = new Map(Object.entries(MESSAGE_EVENT_TYPES).map(([kind, type]) => [type as string, kind as MessageEventKind]));

/** The MessageEventKind of a `conversation:<id>` stream event type; null for other events (e.g. MEMBERS_CHANGED). */
export function messageEventKind(type: string): MessageEventKind | null {
  return MESSAGE_KIND_OF_TYPE.get(type) ?? null;
}

/** Members were added, removed or changed: live subscribers re-check membership. */
export const MEMBERS_CHANGED = 'MEMBERS_CHANGED';

/** Event type on `user:<id>` streams for `conversationEvents`; data.kind is a ConversationEventKind. */
export const CONVERSATION_EVENT = 'CONVERSATION';

export interface ConversationEventData {
  kind: ConversationEventKind;
  conversationId: string;
  messageId?: string;
}

/** Reads back the data of a CONVERSATION_EVENT (written by emitConversationEvent, stored as JSON). */
export function readConversationEvent(data: Record<string, unknown>): Pick<ConversationEventData, 'kind' | 'conversationId'> {
  return { kind: data.kind as ConversationEventKind, conversationId: String(data.conversationId) };
}

/** Tells each of `userIds` (on their own stream) that a conversation changed for them. */
export function emitConversationEvent(outbox: Outbox, userIds: Iterable<string>, data: ConversationEventData): void {
  for (const userId of userIds) outbox.emit(streams.user(userId), CONVERSATION_EVENT, { ...data });
}

/** A message was created, edited or deleted, on the conversation's stream. */
export function emitMessageEvent(outbox: Outbox, conversationId: string, kind: MessageEventKind, messageId: string, seq?: number): void {
  outbox.emit(streams.conversation(conversationId), MESSAGE_EVENT_TYPES[kind], { messageId }, seq);
}
