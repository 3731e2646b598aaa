// The shapes GraphQL types resolve from (see codegen.ts `mappers`).
import type {
  ApiKey,
  Comment,
  Conversation,
  ConversationMember,
  Message,
  Notification,
  Post,
  ReactionKind,
  Session,
  User,
} from '../db/generated/client.ts';
import type { Connection } from '../lib/pagination.ts';
import type { ConversationEventKind } from '../modules/chat/events.ts';
import type { AuthResult } from '../modules/sessions/service.ts';
import type { AuditRecord } from '../modules/audit/service.ts';

export type UserMapper = User;
export type PostMapper = Post;
export type CommentMapper = Comment;
export type SessionMapper = Session;
export type ApiKeyMapper = ApiKey;
export type AuditEventMapper = AuditRecord;
export type UserConnectionMapper = Connection<User>;
export type PostConnectionMapper = Connection<Post>;
export type CommentConnectionMapper = Connection<Comment>;
export type SessionConnectionMapper = Connection<Session>;
export type AuditEventConnectionMapper = Connection<AuditRecord>;
export type ReactionCountMapper = { postId: string; kind: ReactionKind; count: number };
export type AuthPayloadMapper = AuthResult;
export type FollowPayloadMapper = { user: User; viewer: User };
export type CreateApiKeyPayloadMapper = { apiKey: ApiKey; secret: string };

// Real-time
export type ConversationMapper = Conversation;
export type ConversationMemberMapper = ConversationMember;
export type ConversationConnectionMapper = Connection<Conversation>;
export type MessageMapper = Message;
export type MessageConnectionMapper = Connection<Message>;
export type NotificationMapper = Notification;
export type NotificationConnectionMapper = Connection<Notification>;
export type PresenceMapper = { userId: string; online: boolean; lastSeenAt: Date | null };
export type TypingEventMapper = { conversationId: string; userId: string; typing: boolean; expiresAt: Date | null };
/** `conversationId` is the raw uuid; `conversation` is null when the viewer is no longer a member. */
export type ConversationEventMapper = {
  cursor: string;
  kind: ConversationEventKind;
  conversationId: string;
  conversation: Conversation | null;
};
