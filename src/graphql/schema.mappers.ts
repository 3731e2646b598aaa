// The shapes GraphQL types resolve from (see codegen.ts `mappers`).
import type { ApiKey, AuditEvent, Comment, Post, ReactionKind, Session, User } from '../db/generated/client.ts';
import type { Connection } from '../lib/pagination.ts';
import type { AuthResult } from '../services/sessions.ts';

export type UserMapper = User;
export type PostMapper = Post;
export type CommentMapper = Comment;
export type SessionMapper = Session;
export type ApiKeyMapper = ApiKey;
export type AuditEventMapper = AuditEvent;
export type UserConnectionMapper = Connection<User>;
export type PostConnectionMapper = Connection<Post>;
export type CommentConnectionMapper = Connection<Comment>;
export type SessionConnectionMapper = Connection<Session>;
export type AuditEventConnectionMapper = Connection<AuditEvent>;
export type ReactionCountMapper = { postId: string; kind: ReactionKind; count: number };
export type AuthPayloadMapper = AuthResult;
export type FollowPayloadMapper = { user: User; viewer: User };
export type CreateApiKeyPayloadMapper = { apiKey: ApiKey; secret: string };
