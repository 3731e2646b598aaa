import type { PageArgs } from '../../lib/pagination.ts';
import type { RequestScope } from '../scope.ts';
import { asMember } from './access.ts';
import { conversationById, createDirectConversation, createGroupConversation, listConversations, renameGroup } from './conversations.ts';
import { addMembers, leaveConversation, removeMember, setAdmin } from './membership.ts';
import { deleteMessage, editMessage, markConversationRead, messageById, messagesOf, sendMessage, type SendInput } from './messages.ts';
import { isMemberNow } from './policy.ts';

/** Conversations, membership and messages of one request (rules: policy.ts). */
export function createChatService(scope: RequestScope) {
  return {
    asMember: (globalId: string, field: string) => asMember(scope, globalId, field),
    /** True when the viewer is (still) a member; reads fresh data, no loader cache. */
    isMember: (conversationId: string) => isMemberNow(scope.db, scope.viewer, conversationId),
    byId: (globalId: string) => conversationById(scope, globalId),
    messageById: (globalId: string) => messageById(scope, globalId),
    list: (args: PageArgs) => listConversations(scope, args),
    messages: (conversationId: string, args: PageArgs) => messagesOf(scope, conversationId, args),
    createDirect: (userGlobalId: string) => createDirectConversation(scope, userGlobalId),
    createGroup: (input: { title: string; memberIds: readonly string[] }) => createGroupConversation(scope, input),
    update: (input: { conversationId: string; title: string }) => renameGroup(scope, input),
    addMembers: (input: { conversationId: string; userIds: readonly string[] }) => addMembers(scope, input),
    removeMember: (input: { conversationId: string; userId: string }) => removeMember(scope, input),
    setAdmin: (input: { conversationId: string; userId: string; isAdmin: boolean }) => setAdmin(scope, input),
    leave: (globalId: string) => leaveConversation(scope, globalId),
    send: (input: SendInput) => sendMessage(scope, input),
    edit: (input: { messageId: string; body: string }) => editMessage(scope, input),
    remove: (globalId: string) => deleteMessage(scope, globalId),
    markRead: (input: { conversationId: string; upTo?: string | null }) => markConversationRead(scope, input),
  };
}

export type ChatService = ReturnType<typeof createChatService>;
