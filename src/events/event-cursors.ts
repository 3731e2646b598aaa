import { createHmac, timingSafeEqual } from 'node:crypto';
import { badInput } from '../lib/errors.ts';

/**
 * Resume cursors of durable subscriptions: `[stream, seq]` plus a MAC, so a
 * client can only resume from a position the server handed it. A forged
 * cursor (e.g. seq 0 of a post's stream, to replay everything) or one of
 * another stream is refused with BAD_USER_INPUT on `after`.
 */
export interface EventCursors {
  encode(stream: string, seq: number): string;
  /** The sequence number after which to resume, or BAD_USER_INPUT naming `field`. */
  decode(cursor: string, stream: string, field?: string): number;
}

const MAC_BYTES = 16;
const MAX_CURSOR_LENGTH = 512;

export function createEventCursors(key: Buffer): EventCursors {
  const mac = (stream: string, seq: number) => createHmac('sha256', key).update(`${stream}\n${seq}`).digest().subarray(0, MAC_BYTES);
  const refuse = (field: string) => badInput(field, 'Invalid cursor for this subscription');
  return {
    encode(stream, seq) {
      return `${Buffer.from(JSON.stringify([stream, seq])).toString('base64url')}.${mac(stream, seq).toString('base64url')}`;
    },
    decode(cursor, stream, field = 'after') {
      if (typeof cursor !== 'string' || cursor.length > MAX_CURSOR_LENGTH) throw refuse(field);
      const dot = cursor.indexOf('.');
      if (dot < 0) throw refuse(field);
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.from(cursor.slice(0, dot), 'base64url').toString('utf8'));
      } catch {
        throw refuse(field);
      }
      if (!Array.isArray(parsed) || parsed[0] !== stream || !Number.isSafeInteger(parsed[1]) || parsed[1] < 0) throw refuse(field);
      const seq = parsed[1] as number;
      const given = Buffer.from(cursor.slice(dot + 1), 'base64url');
      if (given.length !== MAC_BYTES || !timingSafeEqual(given, mac(stream, seq))) throw refuse(field);
      return seq;
    },
  };
}
