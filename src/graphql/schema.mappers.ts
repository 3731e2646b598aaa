// The shapes GraphQL types resolve from (see codegen.ts `mappers`).
import type { Comment, Post, ReactionKind, User } from '../db/generated/client.ts';
import type { Connection } from '../lib/pagination.ts';
import type { AuthResult } from '../services/accounts.ts';

export type UserMapper = User;
export type PostMapper = Post;
export type CommentMapper = Comment;
export type UserConnectionMapper = Connection<User>;
export type PostConnectionMapper = Connection<Post>;
export type CommentConnectionMapper = Connection<Comment>;
export type ReactionCountMapper = { postId: string; kind: ReactionKind; count: number };
export type AuthPayloadMapper = AuthResult;
export type FollowPayloadMapper = { user: User; viewer: User };
