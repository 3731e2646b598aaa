import { graphql } from './gql';

// Every operation the app runs. `npm run codegen` types them (src/gql/).
// Fragments are declared by bare calls: codegen reads them here and embeds
// them in each generated operation document that spreads them.

graphql(`
  fragment AuthFields on AuthPayload {
    accessToken
    accessTokenExpiresAt
    refreshToken
    user {
      id
      username
      name
    }
  }
`);

export const LOG_IN = graphql(`
  mutation LogIn($input: LogInInput!) {
    logIn(input: $input) {
      ...AuthFields
    }
  }
`);

export const REFRESH_SESSION = graphql(`
  mutation RefreshSession($input: RefreshSessionInput!) {
    refreshSession(input: $input) {
      ...AuthFields
    }
  }
`);

export const LOG_OUT = graphql(`
  mutation LogOut {
    logOut {
      __typename
    }
  }
`);

export const ME = graphql(`
  query Me {
    me {
      id
      username
      name
    }
    unreadNotificationCount
  }
`);

graphql(`
  fragment PostCard on Post {
    id
    title
    body
    tags
    publishedAt
    commentCount
    author {
      id
      username
      name
    }
    reactionCounts {
      kind
      count
      viewerHasReacted
    }
  }
`);

export const FEED = graphql(`
  query Feed($first: Int!, $after: String) {
    feed(first: $first, after: $after) {
      edges {
        cursor
        node {
          ...PostCard
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

graphql(`
  fragment CommentFields on Comment {
    id
    body
    createdAt
    author {
      id
      username
      name
    }
  }
`);

export const POST = graphql(`
  query Post($id: ID!, $first: Int!, $after: String) {
    post(id: $id) {
      ...PostCard
      comments(first: $first, after: $after) {
        edges {
          cursor
          node {
            ...CommentFields
          }
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
`);

export const CREATE_COMMENT = graphql(`
  mutation CreateComment($input: CreateCommentInput!) {
    createComment(input: $input) {
      comment {
        ...CommentFields
      }
    }
  }
`);

export const ADD_REACTION = graphql(`
  mutation AddReaction($input: ReactionInput!) {
    addReaction(input: $input) {
      post {
        id
        reactionCounts {
          kind
          count
          viewerHasReacted
        }
      }
    }
  }
`);

export const REMOVE_REACTION = graphql(`
  mutation RemoveReaction($input: ReactionInput!) {
    removeReaction(input: $input) {
      post {
        id
        reactionCounts {
          kind
          count
          viewerHasReacted
        }
      }
    }
  }
`);

export const COMMENT_ADDED = graphql(`
  subscription CommentAdded($postId: ID!, $after: String) {
    commentAdded(postId: $postId, after: $after) {
      cursor
      comment {
        ...CommentFields
      }
    }
  }
`);

graphql(`
  fragment ConversationRow on Conversation {
    id
    kind
    title
    unreadCount
    lastActivityAt
    members {
      lastReadSeq
      user {
        id
        username
        name
      }
    }
    lastMessage {
      id
      body
      deleted
      sender {
        id
        username
      }
    }
  }
`);

export const CONVERSATIONS = graphql(`
  query Conversations($first: Int!, $after: String) {
    conversations(first: $first, after: $after) {
      edges {
        cursor
        node {
          ...ConversationRow
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

export const CONVERSATION_EVENTS = graphql(`
  subscription ConversationEvents($after: String) {
    conversationEvents(after: $after) {
      cursor
      kind
      conversationId
      conversation {
        ...ConversationRow
      }
    }
  }
`);

graphql(`
  fragment ChatMessage on Message {
    id
    seq
    body
    edited
    deleted
    createdAt
    sender {
      id
      username
      name
    }
  }
`);

export const CONVERSATION = graphql(`
  query Conversation($id: ID!, $last: Int!, $before: String) {
    conversation(id: $id) {
      ...ConversationRow
      viewerLastReadSeq
      messages(last: $last, before: $before) {
        edges {
          cursor
          node {
            ...ChatMessage
          }
        }
        pageInfo {
          hasPreviousPage
          startCursor
        }
      }
    }
  }
`);

export const MESSAGE_EVENTS = graphql(`
  subscription MessageEvents($conversationId: ID!, $after: String) {
    messageEvents(conversationId: $conversationId, after: $after) {
      cursor
      kind
      message {
        ...ChatMessage
      }
    }
  }
`);

export const SEND_MESSAGE = graphql(`
  mutation SendMessage($input: SendMessageInput!) {
    sendMessage(input: $input) {
      message {
        ...ChatMessage
      }
    }
  }
`);

export const MARK_READ = graphql(`
  mutation MarkConversationRead($input: MarkConversationReadInput!) {
    markConversationRead(input: $input) {
      conversation {
        id
        unreadCount
        viewerLastReadSeq
      }
    }
  }
`);

export const SET_TYPING = graphql(`
  mutation SetTyping($input: SetTypingInput!) {
    setTyping(input: $input) {
      accepted
    }
  }
`);

export const TYPING = graphql(`
  subscription Typing($conversationId: ID!) {
    typing(conversationId: $conversationId) {
      conversationId
      typing
      expiresAt
      user {
        id
        username
      }
    }
  }
`);

export const PRESENCE_CHANGED = graphql(`
  subscription PresenceChanged($userIds: [ID!]!) {
    presenceChanged(userIds: $userIds) {
      online
      lastSeenAt
      user {
        id
      }
    }
  }
`);

export const NOTIFICATIONS = graphql(`
  query Notifications($first: Int!) {
    notifications(first: $first) {
      nodes {
        id
        kind
        count
        read
        updatedAt
        actor {
          id
          username
        }
        post {
          id
          title
        }
        conversation {
          id
          title
        }
      }
    }
    unreadNotificationCount
  }
`);

export const NOTIFICATION_ADDED = graphql(`
  subscription NotificationAdded($after: String) {
    notificationAdded(after: $after) {
      cursor
      notification {
        id
        read
      }
    }
  }
`);

export const MARK_ALL_NOTIFICATIONS_READ = graphql(`
  mutation MarkAllNotificationsRead {
    markAllNotificationsRead {
      unreadCount
    }
  }
`);
