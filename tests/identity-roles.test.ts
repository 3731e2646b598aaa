import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawId } from './helpers/fixtures.ts';
import { signUp, startTestServer, type TestServer, type TestUser } from './helpers/server.ts';

describe('roles, moderation, visibility (IDOR) and the audit log', () => {
  let server: TestServer;
  let admin: TestUser;
  let moderator: TestUser;
  let author: TestUser;
  let stranger: TestUser;
  let draftId: string;
  let publishedId: string;

  const setRole = (user: TestUser, role: 'ADMIN' | 'MODERATOR') => server.db.user.update({ where: { id: rawId(user.id) }, data: { role } });

  beforeAll(async () => {
    server = await startTestServer();
    [admin, moderator, author, stranger] = await Promise.all([
      signUp(server, 'admin'),
      signUp(server, 'mod'),
      signUp(server, 'author'),
      signUp(server, 'stranger'),
    ]);
    await setRole(admin, 'ADMIN');
    await setRole(moderator, 'MODERATOR');
    const create = (title: string, publish: boolean) =>
      server.gql(
        'mutation ($t: String!, $p: Boolean) { createPost(input: { title: $t, body: "secret body zebra", publish: $p }) { post { id } } }',
        { t: title, p: publish },
        author.token,
      );
    draftId = (await create('Draft zebra', false)).body.data!.createPost.post.id;
    publishedId = (await create('Published zebra', true)).body.data!.createPost.post.id;
  });
  afterAll(() => server.stop());

  it("hides others' drafts everywhere: node, post, nested, lists and search", async () => {
    const q = `query ($id: ID!, $author: ID!) {
      node(id: $id) { id }
      post(id: $id) { id }
      user(id: $author) { posts(first: 50) { nodes { id } } }
      all: posts(first: 50, filter: { authorId: $author, status: DRAFT }) { nodes { id } }
      search: posts(first: 50, filter: { search: "zebra" }) { nodes { id } }
    }`;
    const res = await server.gql(q, { id: draftId, author: author.id }, stranger.token);
    expect(res.body.data!.node).toBeNull();
    expect(res.body.data!.post).toBeNull();
    expect(res.body.data!.user.posts.nodes.map((p: { id: string }) => p.id)).not.toContain(draftId);
    expect(res.body.data!.all.nodes).toEqual([]);
    expect(res.body.data!.search.nodes.map((p: { id: string }) => p.id)).toEqual([publishedId]);

    const own = await server.gql(q, { id: draftId, author: author.id }, author.token);
    expect(own.body.data!.node.id).toBe(draftId);
    expect(own.body.data!.user.posts.nodes.map((p: { id: string }) => p.id)).toContain(draftId);
    // Admins may see drafts.
    expect((await server.gql(q, { id: draftId, author: author.id }, admin.token)).body.data!.post.id).toBe(draftId);
  });

  it('keeps private fields private wherever reached', async () => {
    const q =
      'query ($id: ID!) { node(id: $id) { ... on User { email sessions { totalCount } apiKeys { id } } } users(first: 100) { nodes { id email } } }';
    const res = await server.gql(q, { id: author.id }, stranger.token);
    expect(res.body.data!.node).toEqual({ email: null, sessions: null, apiKeys: null });
    expect(res.body.data!.users.nodes.every((u: { id: string; email: string | null }) => u.email === null || u.id === stranger.id)).toBe(
      true,
    );
    const asAdmin = await server.gql(q, { id: author.id }, admin.token);
    expect(asAdmin.body.data!.node.email).toBe(author.email);
  });

  it('members cannot moderate; moderators hide and restore; hidden posts vanish for others', async () => {
    const HIDE = 'mutation ($id: ID!) { hidePost(input: { id: $id, reason: "spam" }) { post { isHidden } } }';
    const denied = await server.gql(HIDE, { id: publishedId }, stranger.token);
    expect(denied.body.errors![0]!.extensions.code).toBe('FORBIDDEN');
    expect((await server.db.post.findUnique({ where: { id: rawId(publishedId) } }))!.hiddenAt).toBeNull();
    expect((await server.gql(HIDE, { id: publishedId })).body.errors![0]!.extensions.code).toBe('UNAUTHENTICATED');

    const hidden = await server.gql(HIDE, { id: publishedId }, moderator.token);
    expect(hidden.body.data!.hidePost.post.isHidden).toBe(true);
    const look = 'query ($id: ID!) { post(id: $id) { id } posts(first: 50, filter: { search: "zebra" }) { nodes { id } } }';
    const asStranger = await server.gql(look, { id: publishedId }, stranger.token);
    expect(asStranger.body.data!.post).toBeNull();
    expect(asStranger.body.data!.posts.nodes).toEqual([]);
    expect((await server.gql(look, { id: publishedId }, author.token)).body.data!.post.id).toBe(publishedId);
    expect((await server.gql(look, { id: publishedId }, moderator.token)).body.data!.post.id).toBe(publishedId);

    const restored = await server.gql(
      'mutation ($id: ID!) { restorePost(input: { id: $id }) { post { isHidden } } }',
      { id: publishedId },
      moderator.token,
    );
    expect(restored.body.data!.restorePost.post.isHidden).toBe(false);
    expect((await server.gql(look, { id: publishedId }, stranger.token)).body.data!.post.id).toBe(publishedId);
  });

  it('suspension ends sessions and blocks login and writes', async () => {
    const victim = await signUp(server, 'suspend');
    const res = await server.gql(
      'mutation ($id: ID!) { suspendUser(input: { userId: $id, reason: "abuse" }) { user { suspendedAt } } }',
      { id: victim.id },
      moderator.token,
    );
    expect(res.body.data!.suspendUser.user.suspendedAt).not.toBeNull();
    expect((await server.gql('{ me { id } }', {}, victim.token)).status).toBe(401);
    const login = await server.gql('mutation ($l: String!, $p: String!) { logIn(input: { login: $l, password: $p }) { accessToken } }', {
      l: victim.username,
      p: victim.password,
    });
    // Exactly like a wrong password: a different answer would confirm the password.
    expect(login.body.errors![0]!.extensions.code).toBe('INVALID_CREDENTIALS');
    // Moderators cannot suspend staff.
    const staff = await server.gql(
      'mutation ($id: ID!) { suspendUser(input: { userId: $id }) { user { id } } }',
      { id: admin.id },
      moderator.token,
    );
    expect(staff.body.errors![0]!.extensions.code).toBe('FORBIDDEN');
    expect((await server.db.user.findUnique({ where: { id: rawId(admin.id) } }))!.suspendedAt).toBeNull();
  });

  it('only admins change roles, and the change is audited', async () => {
    const target = await signUp(server, 'promote');
    const SET = 'mutation ($id: ID!, $role: Role!) { setUserRole(input: { userId: $id, role: $role }) { user { role } } }';
    const byMod = await server.gql(SET, { id: target.id, role: 'ADMIN' }, moderator.token);
    expect(byMod.body.errors![0]!.extensions.code).toBe('FORBIDDEN');
    const bySelf = await server.gql(SET, { id: moderator.id, role: 'ADMIN' }, moderator.token);
    expect(bySelf.body.errors![0]!.extensions.code).toBe('FORBIDDEN');
    expect((await server.db.user.findUnique({ where: { id: rawId(target.id) } }))!.role).toBe('USER');

    const ok = await server.gql(SET, { id: target.id, role: 'MODERATOR' }, admin.token);
    expect(ok.body.data!.setUserRole.user.role).toBe('MODERATOR');
    const audit = await server.gql(
      'query ($id: ID!) { auditEvents(first: 10, type: ROLE_CHANGED, userId: $id) { nodes { type actor { id } targetUser { id } details } } }',
      { id: target.id },
      admin.token,
    );
    expect(audit.body.data!.auditEvents.nodes).toHaveLength(1);
    expect(audit.body.data!.auditEvents.nodes[0]).toMatchObject({ actor: { id: admin.id }, targetUser: { id: target.id } });
    expect(JSON.parse(audit.body.data!.auditEvents.nodes[0].details)).toEqual({ from: 'USER', to: 'MODERATOR' });
  });

  it('the audit log is for admins only', async () => {
    for (const user of [stranger, moderator]) {
      const res = await server.gql('{ auditEvents(first: 5) { totalCount } }', {}, user.token);
      expect(res.body.errors![0]!.extensions.code).toBe('FORBIDDEN');
    }
    const res = await server.gql('{ auditEvents(first: 5, type: SIGNED_UP) { totalCount nodes { type } } }', {}, admin.token);
    expect(res.body.data!.auditEvents.totalCount).toBeGreaterThanOrEqual(4);
  });
});
