/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  fragment AuthFields on AuthPayload {\n    accessToken\n    accessTokenExpiresAt\n    refreshToken\n    user {\n      id\n      username\n      name\n    }\n  }\n": typeof types.AuthFieldsFragmentDoc,
    "\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) {\n      ...AuthFields\n    }\n  }\n": typeof types.LogInDocument,
    "\n  mutation RefreshSession($input: RefreshSessionInput!) {\n    refreshSession(input: $input) {\n      ...AuthFields\n    }\n  }\n": typeof types.RefreshSessionDocument,
    "\n  mutation LogOut {\n    logOut {\n      __typename\n    }\n  }\n": typeof types.LogOutDocument,
    "\n  query Me {\n    me {\n      id\n      username\n      name\n    }\n    unreadNotificationCount\n  }\n": typeof types.MeDocument,
    "\n  fragment PostCard on Post {\n    id\n    title\n    body\n    tags\n    publishedAt\n    commentCount\n    author {\n      id\n      username\n      name\n    }\n    reactionCounts {\n      kind\n      count\n      viewerHasReacted\n    }\n  }\n": typeof types.PostCardFragmentDoc,
    "\n  query Feed($first: Int!, $after: String) {\n    feed(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...PostCard\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.FeedDocument,
    "\n  fragment CommentFields on Comment {\n    id\n    body\n    createdAt\n    author {\n      id\n      username\n      name\n    }\n  }\n": typeof types.CommentFieldsFragmentDoc,
    "\n  query Post($id: ID!, $first: Int!, $after: String) {\n    post(id: $id) {\n      ...PostCard\n      comments(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...CommentFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": typeof types.PostDocument,
    "\n  mutation CreateComment($input: CreateCommentInput!) {\n    createComment(input: $input) {\n      comment {\n        ...CommentFields\n      }\n    }\n  }\n": typeof types.CreateCommentDocument,
    "\n  mutation AddReaction($input: ReactionInput!) {\n    addReaction(input: $input) {\n      post {\n        id\n        reactionCounts {\n          kind\n          count\n          viewerHasReacted\n        }\n      }\n    }\n  }\n": typeof types.AddReactionDocument,
    "\n  mutation RemoveReaction($input: ReactionInput!) {\n    removeReaction(input: $input) {\n      post {\n        id\n        reactionCounts {\n          kind\n          count\n          viewerHasReacted\n        }\n      }\n    }\n  }\n": typeof types.RemoveReactionDocument,
    "\n  subscription CommentAdded($postId: ID!, $after: String) {\n    commentAdded(postId: $postId, after: $after) {\n      cursor\n      comment {\n        ...CommentFields\n      }\n    }\n  }\n": typeof types.CommentAddedDocument,
    "\n  fragment ConversationRow on Conversation {\n    id\n    kind\n    title\n    unreadCount\n    lastActivityAt\n    members {\n      lastReadSeq\n      user {\n        id\n        username\n        name\n      }\n    }\n    lastMessage {\n      id\n      body\n      deleted\n      sender {\n        id\n        username\n      }\n    }\n  }\n": typeof types.ConversationRowFragmentDoc,
    "\n  query Conversations($first: Int!, $after: String) {\n    conversations(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...ConversationRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": typeof types.ConversationsDocument,
    "\n  subscription ConversationEvents($after: String) {\n    conversationEvents(after: $after) {\n      cursor\n      kind\n      conversationId\n      conversation {\n        ...ConversationRow\n      }\n    }\n  }\n": typeof types.ConversationEventsDocument,
    "\n  fragment ChatMessage on Message {\n    id\n    seq\n    body\n    edited\n    deleted\n    createdAt\n    sender {\n      id\n      username\n      name\n    }\n  }\n": typeof types.ChatMessageFragmentDoc,
    "\n  query Conversation($id: ID!, $last: Int!, $before: String) {\n    conversation(id: $id) {\n      ...ConversationRow\n      viewerLastReadSeq\n      messages(last: $last, before: $before) {\n        edges {\n          cursor\n          node {\n            ...ChatMessage\n          }\n        }\n        pageInfo {\n          hasPreviousPage\n          startCursor\n        }\n      }\n    }\n  }\n": typeof types.ConversationDocument,
    "\n  subscription MessageEvents($conversationId: ID!, $after: String) {\n    messageEvents(conversationId: $conversationId, after: $after) {\n      cursor\n      kind\n      message {\n        ...ChatMessage\n      }\n    }\n  }\n": typeof types.MessageEventsDocument,
    "\n  mutation SendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      message {\n        ...ChatMessage\n      }\n    }\n  }\n": typeof types.SendMessageDocument,
    "\n  mutation MarkConversationRead($input: MarkConversationReadInput!) {\n    markConversationRead(input: $input) {\n      conversation {\n        id\n        unreadCount\n        viewerLastReadSeq\n      }\n    }\n  }\n": typeof types.MarkConversationReadDocument,
    "\n  mutation SetTyping($input: SetTypingInput!) {\n    setTyping(input: $input) {\n      accepted\n    }\n  }\n": typeof types.SetTypingDocument,
    "\n  subscription Typing($conversationId: ID!) {\n    typing(conversationId: $conversationId) {\n      conversationId\n      typing\n      expiresAt\n      user {\n        id\n        username\n      }\n    }\n  }\n": typeof types.TypingDocument,
    "\n  subscription PresenceChanged($userIds: [ID!]!) {\n    presenceChanged(userIds: $userIds) {\n      online\n      lastSeenAt\n      user {\n        id\n      }\n    }\n  }\n": typeof types.PresenceChangedDocument,
    "\n  query Notifications($first: Int!) {\n    notifications(first: $first) {\n      nodes {\n        id\n        kind\n        count\n        read\n        updatedAt\n        actor {\n          id\n          username\n        }\n        post {\n          id\n          title\n        }\n        conversation {\n          id\n          title\n        }\n      }\n    }\n    unreadNotificationCount\n  }\n": typeof types.NotificationsDocument,
    "\n  subscription NotificationAdded($after: String) {\n    notificationAdded(after: $after) {\n      cursor\n      notification {\n        id\n        read\n      }\n    }\n  }\n": typeof types.NotificationAddedDocument,
    "\n  mutation MarkAllNotificationsRead {\n    markAllNotificationsRead {\n      unreadCount\n    }\n  }\n": typeof types.MarkAllNotificationsReadDocument,
};
const documents: Documents = {
    "\n  fragment AuthFields on AuthPayload {\n    accessToken\n    accessTokenExpiresAt\n    refreshToken\n    user {\n      id\n      username\n      name\n    }\n  }\n": types.AuthFieldsFragmentDoc,
    "\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) {\n      ...AuthFields\n    }\n  }\n": types.LogInDocument,
    "\n  mutation RefreshSession($input: RefreshSessionInput!) {\n    refreshSession(input: $input) {\n      ...AuthFields\n    }\n  }\n": types.RefreshSessionDocument,
    "\n  mutation LogOut {\n    logOut {\n      __typename\n    }\n  }\n": types.LogOutDocument,
    "\n  query Me {\n    me {\n      id\n      username\n      name\n    }\n    unreadNotificationCount\n  }\n": types.MeDocument,
    "\n  fragment PostCard on Post {\n    id\n    title\n    body\n    tags\n    publishedAt\n    commentCount\n    author {\n      id\n      username\n      name\n    }\n    reactionCounts {\n      kind\n      count\n      viewerHasReacted\n    }\n  }\n": types.PostCardFragmentDoc,
    "\n  query Feed($first: Int!, $after: String) {\n    feed(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...PostCard\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.FeedDocument,
    "\n  fragment CommentFields on Comment {\n    id\n    body\n    createdAt\n    author {\n      id\n      username\n      name\n    }\n  }\n": types.CommentFieldsFragmentDoc,
    "\n  query Post($id: ID!, $first: Int!, $after: String) {\n    post(id: $id) {\n      ...PostCard\n      comments(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...CommentFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n": types.PostDocument,
    "\n  mutation CreateComment($input: CreateCommentInput!) {\n    createComment(input: $input) {\n      comment {\n        ...CommentFields\n      }\n    }\n  }\n": types.CreateCommentDocument,
    "\n  mutation AddReaction($input: ReactionInput!) {\n    addReaction(input: $input) {\n      post {\n        id\n        reactionCounts {\n          kind\n          count\n          viewerHasReacted\n        }\n      }\n    }\n  }\n": types.AddReactionDocument,
    "\n  mutation RemoveReaction($input: ReactionInput!) {\n    removeReaction(input: $input) {\n      post {\n        id\n        reactionCounts {\n          kind\n          count\n          viewerHasReacted\n        }\n      }\n    }\n  }\n": types.RemoveReactionDocument,
    "\n  subscription CommentAdded($postId: ID!, $after: String) {\n    commentAdded(postId: $postId, after: $after) {\n      cursor\n      comment {\n        ...CommentFields\n      }\n    }\n  }\n": types.CommentAddedDocument,
    "\n  fragment ConversationRow on Conversation {\n    id\n    kind\n    title\n    unreadCount\n    lastActivityAt\n    members {\n      lastReadSeq\n      user {\n        id\n        username\n        name\n      }\n    }\n    lastMessage {\n      id\n      body\n      deleted\n      sender {\n        id\n        username\n      }\n    }\n  }\n": types.ConversationRowFragmentDoc,
    "\n  query Conversations($first: Int!, $after: String) {\n    conversations(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...ConversationRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n": types.ConversationsDocument,
    "\n  subscription ConversationEvents($after: String) {\n    conversationEvents(after: $after) {\n      cursor\n      kind\n      conversationId\n      conversation {\n        ...ConversationRow\n      }\n    }\n  }\n": types.ConversationEventsDocument,
    "\n  fragment ChatMessage on Message {\n    id\n    seq\n    body\n    edited\n    deleted\n    createdAt\n    sender {\n      id\n      username\n      name\n    }\n  }\n": types.ChatMessageFragmentDoc,
    "\n  query Conversation($id: ID!, $last: Int!, $before: String) {\n    conversation(id: $id) {\n      ...ConversationRow\n      viewerLastReadSeq\n      messages(last: $last, before: $before) {\n        edges {\n          cursor\n          node {\n            ...ChatMessage\n          }\n        }\n        pageInfo {\n          hasPreviousPage\n          startCursor\n        }\n      }\n    }\n  }\n": types.ConversationDocument,
    "\n  subscription MessageEvents($conversationId: ID!, $after: String) {\n    messageEvents(conversationId: $conversationId, after: $after) {\n      cursor\n      kind\n      message {\n        ...ChatMessage\n      }\n    }\n  }\n": types.MessageEventsDocument,
    "\n  mutation SendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      message {\n        ...ChatMessage\n      }\n    }\n  }\n": types.SendMessageDocument,
    "\n  mutation MarkConversationRead($input: MarkConversationReadInput!) {\n    markConversationRead(input: $input) {\n      conversation {\n        id\n        unreadCount\n        viewerLastReadSeq\n      }\n    }\n  }\n": types.MarkConversationReadDocument,
    "\n  mutation SetTyping($input: SetTypingInput!) {\n    setTyping(input: $input) {\n      accepted\n    }\n  }\n": types.SetTypingDocument,
    "\n  subscription Typing($conversationId: ID!) {\n    typing(conversationId: $conversationId) {\n      conversationId\n      typing\n      expiresAt\n      user {\n        id\n        username\n      }\n    }\n  }\n": types.TypingDocument,
    "\n  subscription PresenceChanged($userIds: [ID!]!) {\n    presenceChanged(userIds: $userIds) {\n      online\n      lastSeenAt\n      user {\n        id\n      }\n    }\n  }\n": types.PresenceChangedDocument,
    "\n  query Notifications($first: Int!) {\n    notifications(first: $first) {\n      nodes {\n        id\n        kind\n        count\n        read\n        updatedAt\n        actor {\n          id\n          username\n        }\n        post {\n          id\n          title\n        }\n        conversation {\n          id\n          title\n        }\n      }\n    }\n    unreadNotificationCount\n  }\n": types.NotificationsDocument,
    "\n  subscription NotificationAdded($after: String) {\n    notificationAdded(after: $after) {\n      cursor\n      notification {\n        id\n        read\n      }\n    }\n  }\n": types.NotificationAddedDocument,
    "\n  mutation MarkAllNotificationsRead {\n    markAllNotificationsRead {\n      unreadCount\n    }\n  }\n": types.MarkAllNotificationsReadDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment AuthFields on AuthPayload {\n    accessToken\n    accessTokenExpiresAt\n    refreshToken\n    user {\n      id\n      username\n      name\n    }\n  }\n"): (typeof documents)["\n  fragment AuthFields on AuthPayload {\n    accessToken\n    accessTokenExpiresAt\n    refreshToken\n    user {\n      id\n      username\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) {\n      ...AuthFields\n    }\n  }\n"): (typeof documents)["\n  mutation LogIn($input: LogInInput!) {\n    logIn(input: $input) {\n      ...AuthFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RefreshSession($input: RefreshSessionInput!) {\n    refreshSession(input: $input) {\n      ...AuthFields\n    }\n  }\n"): (typeof documents)["\n  mutation RefreshSession($input: RefreshSessionInput!) {\n    refreshSession(input: $input) {\n      ...AuthFields\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation LogOut {\n    logOut {\n      __typename\n    }\n  }\n"): (typeof documents)["\n  mutation LogOut {\n    logOut {\n      __typename\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Me {\n    me {\n      id\n      username\n      name\n    }\n    unreadNotificationCount\n  }\n"): (typeof documents)["\n  query Me {\n    me {\n      id\n      username\n      name\n    }\n    unreadNotificationCount\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment PostCard on Post {\n    id\n    title\n    body\n    tags\n    publishedAt\n    commentCount\n    author {\n      id\n      username\n      name\n    }\n    reactionCounts {\n      kind\n      count\n      viewerHasReacted\n    }\n  }\n"): (typeof documents)["\n  fragment PostCard on Post {\n    id\n    title\n    body\n    tags\n    publishedAt\n    commentCount\n    author {\n      id\n      username\n      name\n    }\n    reactionCounts {\n      kind\n      count\n      viewerHasReacted\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Feed($first: Int!, $after: String) {\n    feed(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...PostCard\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Feed($first: Int!, $after: String) {\n    feed(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...PostCard\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment CommentFields on Comment {\n    id\n    body\n    createdAt\n    author {\n      id\n      username\n      name\n    }\n  }\n"): (typeof documents)["\n  fragment CommentFields on Comment {\n    id\n    body\n    createdAt\n    author {\n      id\n      username\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Post($id: ID!, $first: Int!, $after: String) {\n    post(id: $id) {\n      ...PostCard\n      comments(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...CommentFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Post($id: ID!, $first: Int!, $after: String) {\n    post(id: $id) {\n      ...PostCard\n      comments(first: $first, after: $after) {\n        edges {\n          cursor\n          node {\n            ...CommentFields\n          }\n        }\n        pageInfo {\n          hasNextPage\n          endCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateComment($input: CreateCommentInput!) {\n    createComment(input: $input) {\n      comment {\n        ...CommentFields\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation CreateComment($input: CreateCommentInput!) {\n    createComment(input: $input) {\n      comment {\n        ...CommentFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation AddReaction($input: ReactionInput!) {\n    addReaction(input: $input) {\n      post {\n        id\n        reactionCounts {\n          kind\n          count\n          viewerHasReacted\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation AddReaction($input: ReactionInput!) {\n    addReaction(input: $input) {\n      post {\n        id\n        reactionCounts {\n          kind\n          count\n          viewerHasReacted\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RemoveReaction($input: ReactionInput!) {\n    removeReaction(input: $input) {\n      post {\n        id\n        reactionCounts {\n          kind\n          count\n          viewerHasReacted\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation RemoveReaction($input: ReactionInput!) {\n    removeReaction(input: $input) {\n      post {\n        id\n        reactionCounts {\n          kind\n          count\n          viewerHasReacted\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription CommentAdded($postId: ID!, $after: String) {\n    commentAdded(postId: $postId, after: $after) {\n      cursor\n      comment {\n        ...CommentFields\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription CommentAdded($postId: ID!, $after: String) {\n    commentAdded(postId: $postId, after: $after) {\n      cursor\n      comment {\n        ...CommentFields\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ConversationRow on Conversation {\n    id\n    kind\n    title\n    unreadCount\n    lastActivityAt\n    members {\n      lastReadSeq\n      user {\n        id\n        username\n        name\n      }\n    }\n    lastMessage {\n      id\n      body\n      deleted\n      sender {\n        id\n        username\n      }\n    }\n  }\n"): (typeof documents)["\n  fragment ConversationRow on Conversation {\n    id\n    kind\n    title\n    unreadCount\n    lastActivityAt\n    members {\n      lastReadSeq\n      user {\n        id\n        username\n        name\n      }\n    }\n    lastMessage {\n      id\n      body\n      deleted\n      sender {\n        id\n        username\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Conversations($first: Int!, $after: String) {\n    conversations(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...ConversationRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"): (typeof documents)["\n  query Conversations($first: Int!, $after: String) {\n    conversations(first: $first, after: $after) {\n      edges {\n        cursor\n        node {\n          ...ConversationRow\n        }\n      }\n      pageInfo {\n        hasNextPage\n        endCursor\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ConversationEvents($after: String) {\n    conversationEvents(after: $after) {\n      cursor\n      kind\n      conversationId\n      conversation {\n        ...ConversationRow\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription ConversationEvents($after: String) {\n    conversationEvents(after: $after) {\n      cursor\n      kind\n      conversationId\n      conversation {\n        ...ConversationRow\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  fragment ChatMessage on Message {\n    id\n    seq\n    body\n    edited\n    deleted\n    createdAt\n    sender {\n      id\n      username\n      name\n    }\n  }\n"): (typeof documents)["\n  fragment ChatMessage on Message {\n    id\n    seq\n    body\n    edited\n    deleted\n    createdAt\n    sender {\n      id\n      username\n      name\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Conversation($id: ID!, $last: Int!, $before: String) {\n    conversation(id: $id) {\n      ...ConversationRow\n      viewerLastReadSeq\n      messages(last: $last, before: $before) {\n        edges {\n          cursor\n          node {\n            ...ChatMessage\n          }\n        }\n        pageInfo {\n          hasPreviousPage\n          startCursor\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Conversation($id: ID!, $last: Int!, $before: String) {\n    conversation(id: $id) {\n      ...ConversationRow\n      viewerLastReadSeq\n      messages(last: $last, before: $before) {\n        edges {\n          cursor\n          node {\n            ...ChatMessage\n          }\n        }\n        pageInfo {\n          hasPreviousPage\n          startCursor\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription MessageEvents($conversationId: ID!, $after: String) {\n    messageEvents(conversationId: $conversationId, after: $after) {\n      cursor\n      kind\n      message {\n        ...ChatMessage\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription MessageEvents($conversationId: ID!, $after: String) {\n    messageEvents(conversationId: $conversationId, after: $after) {\n      cursor\n      kind\n      message {\n        ...ChatMessage\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      message {\n        ...ChatMessage\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation SendMessage($input: SendMessageInput!) {\n    sendMessage(input: $input) {\n      message {\n        ...ChatMessage\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MarkConversationRead($input: MarkConversationReadInput!) {\n    markConversationRead(input: $input) {\n      conversation {\n        id\n        unreadCount\n        viewerLastReadSeq\n      }\n    }\n  }\n"): (typeof documents)["\n  mutation MarkConversationRead($input: MarkConversationReadInput!) {\n    markConversationRead(input: $input) {\n      conversation {\n        id\n        unreadCount\n        viewerLastReadSeq\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation SetTyping($input: SetTypingInput!) {\n    setTyping(input: $input) {\n      accepted\n    }\n  }\n"): (typeof documents)["\n  mutation SetTyping($input: SetTypingInput!) {\n    setTyping(input: $input) {\n      accepted\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription Typing($conversationId: ID!) {\n    typing(conversationId: $conversationId) {\n      conversationId\n      typing\n      expiresAt\n      user {\n        id\n        username\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription Typing($conversationId: ID!) {\n    typing(conversationId: $conversationId) {\n      conversationId\n      typing\n      expiresAt\n      user {\n        id\n        username\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription PresenceChanged($userIds: [ID!]!) {\n    presenceChanged(userIds: $userIds) {\n      online\n      lastSeenAt\n      user {\n        id\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription PresenceChanged($userIds: [ID!]!) {\n    presenceChanged(userIds: $userIds) {\n      online\n      lastSeenAt\n      user {\n        id\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Notifications($first: Int!) {\n    notifications(first: $first) {\n      nodes {\n        id\n        kind\n        count\n        read\n        updatedAt\n        actor {\n          id\n          username\n        }\n        post {\n          id\n          title\n        }\n        conversation {\n          id\n          title\n        }\n      }\n    }\n    unreadNotificationCount\n  }\n"): (typeof documents)["\n  query Notifications($first: Int!) {\n    notifications(first: $first) {\n      nodes {\n        id\n        kind\n        count\n        read\n        updatedAt\n        actor {\n          id\n          username\n        }\n        post {\n          id\n          title\n        }\n        conversation {\n          id\n          title\n        }\n      }\n    }\n    unreadNotificationCount\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription NotificationAdded($after: String) {\n    notificationAdded(after: $after) {\n      cursor\n      notification {\n        id\n        read\n      }\n    }\n  }\n"): (typeof documents)["\n  subscription NotificationAdded($after: String) {\n    notificationAdded(after: $after) {\n      cursor\n      notification {\n        id\n        read\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation MarkAllNotificationsRead {\n    markAllNotificationsRead {\n      unreadCount\n    }\n  }\n"): (typeof documents)["\n  mutation MarkAllNotificationsRead {\n    markAllNotificationsRead {\n      unreadCount\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;