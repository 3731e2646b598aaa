import { useMutation, useQuery } from '@apollo/client/react';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { CommentFieldsFragment, PostCardFragment, ReactionKind } from './gql/graphql.ts';
import { useLiveSubscription } from './live.ts';
import { ADD_REACTION, COMMENT_ADDED, CREATE_COMMENT, FEED, POST, REMOVE_REACTION } from './operations.ts';
import { timeAgo } from './time.ts';

const PAGE = 10;
const REACTIONS: { kind: ReactionKind; label: string }[] = [
  { kind: 'LIKE', label: '👍' },
  { kind: 'LOVE', label: '❤️' },
  { kind: 'LAUGH', label: '😂' },
  { kind: 'WOW', label: '😮' },
  { kind: 'SAD', label: '😢' },
  { kind: 'ANGRY', label: '😠' },
];

export function Feed() {
  const [openPost, setOpenPost] = useState<string | null>(null);
  const { data, loading, error, fetchMore } = useQuery(FEED, { variables: { first: PAGE } });
  const sentinel = useRef<HTMLDivElement>(null);
  const pageInfo = data?.feed.pageInfo;
  const [loadingMore, setLoadingMore] = useState(false);

  // Infinite scroll: the next page loads when the end of the list comes into view.
  useEffect(() => {
    const target = sentinel.current;
    if (!target || !pageInfo?.hasNextPage || openPost) return;
    const observer = new IntersectionObserver((entries) => {
      if (!entries.some((e) => e.isIntersecting) || loadingMore) return;
      setLoadingMore(true);
      void fetchMore({ variables: { after: pageInfo.endCursor } }).finally(() => setLoadingMore(false));
    });
    observer.observe(target);
    return () => observer.disconnect();
  }, [pageInfo, fetchMore, loadingMore, openPost]);

  if (openPost) return <PostView id={openPost} onBack={() => setOpenPost(null)} />;
  if (error) return <p className="error">{error.message}</p>;
  if (loading && !data) return <p className="muted">Loading the feed…</p>;
  const posts = data?.feed.edges ?? [];
  return (
    <section className="feed" data-testid="feed">
      {posts.length === 0 && <p className="muted">Your feed is empty: follow someone to see their posts.</p>}
      {posts.map(({ node }) => (
        <PostCard key={node.id} post={node} onOpen={() => setOpenPost(node.id)} />
      ))}
      <div ref={sentinel} className="sentinel">
        {pageInfo?.hasNextPage ? 'Loading more…' : posts.length > 0 && 'You are all caught up.'}
      </div>
    </section>
  );
}

function PostCard({ post, onOpen }: { post: PostCardFragment; onOpen?: () => void }) {
  return (
    <article className="card post" data-testid="post" data-post-id={post.id}>
      <header>
        <strong>{post.author.name}</strong> <span className="muted">@{post.author.username}</span>
        {post.publishedAt && <span className="muted"> · {timeAgo(post.publishedAt)}</span>}
      </header>
      <h2>
        {onOpen ? (
          <button type="button" className="link title" onClick={onOpen}>
            {post.title}
          </button>
        ) : (
          post.title
        )}
      </h2>
      <p>{onOpen ? `${post.body.slice(0, 240)}${post.body.length > 240 ? '…' : ''}` : post.body}</p>
      <div className="tags">
        {post.tags.map((tag) => (
          <span key={tag} className="tag">
            #{tag}
          </span>
        ))}
      </div>
      <footer>
        <Reactions post={post} />
        {onOpen && (
          <button type="button" className="link" onClick={onOpen}>
            {post.commentCount} comments
          </button>
        )}
      </footer>
    </article>
  );
}

function Reactions({ post }: { post: PostCardFragment }) {
  const [add] = useMutation(ADD_REACTION);
  const [remove] = useMutation(REMOVE_REACTION);
  const counts = new Map(post.reactionCounts.map((r) => [r.kind, r]));
  return (
    <div className="reactions">
      {REACTIONS.map(({ kind, label }) => {
        const count = counts.get(kind);
        const mine = count?.viewerHasReacted ?? false;
        const toggle = () => void (mine ? remove : add)({ variables: { input: { postId: post.id, kind } } });
        return (
          <button
            key={kind}
            type="button"
            className={mine ? 'reaction mine' : 'reaction'}
            onClick={toggle}
            aria-pressed={mine}
            title={kind}
          >
            {label} {count?.count ?? ''}
          </button>
        );
      })}
    </div>
  );
}

function PostView({ id, onBack }: { id: string; onBack: () => void }) {
  const variables = { id, first: 20 };
  const { data, loading, error, fetchMore, refetch, client } = useQuery(POST, { variables });
  const [body, setBody] = useState('');
  const [createComment, { loading: sending, error: commentError }] = useMutation(CREATE_COMMENT);

  // Appends a comment once, whether it came from our mutation or from commentAdded.
  const append = (comment: CommentFieldsFragment, cursor: string) => {
    client.cache.updateQuery({ query: POST, variables }, (current) => {
      if (!current?.post) return current;
      const { comments } = current.post;
      if (comments.edges.some((e) => e.node.id === comment.id)) return current;
      const edge = { __typename: 'CommentEdge' as const, cursor, node: comment };
      return {
        ...current,
        post: { ...current.post, commentCount: current.post.commentCount + 1, comments: { ...comments, edges: [...comments.edges, edge] } },
      };
    });
  };
  // Everyone's new comments arrive live.
  useLiveSubscription(COMMENT_ADDED, { postId: id }, ({ commentAdded }) => append(commentAdded.comment, commentAdded.cursor), {
    cursorOf: (d) => d.commentAdded.cursor,
    onResync: () => void refetch(),
  });

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const text = body.trim();
    if (!text) return;
    const result = await createComment({ variables: { input: { postId: id, body: text } } }).catch(() => null);
    if (!result?.data) return;
    append(result.data.createComment.comment, '');
    setBody('');
  };

  if (error) return <p className="error">{error.message}</p>;
  if (loading && !data) return <p className="muted">Loading…</p>;
  if (!data?.post) return <p className="muted">This post is gone.</p>;
  const { comments } = data.post;
  return (
    <section className="post-view">
      <button type="button" className="link" onClick={onBack}>
        ← Back to the feed
      </button>
      <PostCard post={data.post} />
      <h3>Comments ({data.post.commentCount})</h3>
      <ul className="comments">
        {comments.edges.map(({ node }) => (
          <li key={node.id} className="comment" data-testid="comment">
            <strong>{node.author.name}</strong> <span className="muted">· {timeAgo(node.createdAt)}</span>
            <p>{node.body}</p>
          </li>
        ))}
      </ul>
      {comments.pageInfo.hasNextPage && (
        <button type="button" className="link" onClick={() => void fetchMore({ variables: { after: comments.pageInfo.endCursor } })}>
          More comments
        </button>
      )}
      <form className="composer" onSubmit={submit}>
        <input placeholder="Write a comment…" value={body} onChange={(e) => setBody(e.target.value)} maxLength={2000} />
        <button type="submit" disabled={sending || !body.trim()}>
          Comment
        </button>
        {commentError && <p className="error">{commentError.message}</p>}
      </form>
    </section>
  );
}
