import { badInput } from './errors.ts';

/** GraphQL types that implement Node. */
export type NodeType = 'User' | 'Post' | 'Comment' | 'Session' | 'ApiKey' | 'AuditEvent' | 'Conversation' | 'Message' | 'Notification';
const NODE_TYPES: ReadonlySet<string> = new Set<NodeType>([
  'User',
  'Post',
  'Comment',
  'Session',
  'ApiKey',
  'AuditEvent',
  'Conversation',
  'Message',
  'Notification',
]);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// Ids inside global ids and cursors go into SQL as uuids: only the lower-case
// form PostgreSQL returns is accepted, and the pattern only ever sees 36 characters.
const UUID_LENGTH = 36;
// Longest global id we issue is well under this; longer input is not decoded at all.
const MAX_GLOBAL_ID_LENGTH = 200;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && value.length === UUID_LENGTH && UUID.test(value);
}

/** Opaque global ids: base64url of `Type:uuid`. Clients must not parse them. */
export function toGlobalId(type: NodeType, id: string): string {
  return Buffer.from(`${type}:${id}`).toString('base64url');
}

export function parseGlobalId(globalId: string): { type: NodeType; id: string } | null {
  if (globalId.length > MAX_GLOBAL_ID_LENGTH) return null;
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const sep = decoded.indexOf(':');
  if (sep < 0) return null;
  const type = decoded.slice(0, sep);
  const id = decoded.slice(sep + 1);
  if (!NODE_TYPES.has(type) || !isUuid(id)) return null;
  return { type: type as NodeType, id };
}

/** Decodes an id argument that must name an object of `type`; `field` names it in the error. */
export function expectGlobalId(globalId: string, type: NodeType, field: string): string {
  const parsed = parseGlobalId(globalId);
  if (!parsed || parsed.type !== type) throw badInput(field, `Not a valid ${type} id`);
  return parsed.id;
}
