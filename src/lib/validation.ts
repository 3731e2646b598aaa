import type { InputChecker } from './errors.ts';

/** Trims `value` and checks its length; returns the trimmed text. */
export function text(checker: InputChecker, field: string, value: string, min: number, max: number): string {
  const trimmed = value.trim();
  checker.check(
    trimmed.length >= min && trimmed.length <= max,
    field,
    min === max ? `Must be ${min} characters` : `Must be ${min} to ${max} characters`,
  );
  return trimmed;
}

/** A tag: 1 to 30 of a-z, 0-9 and '-', not starting with '-' (checked char by char: no regex over client text). */
function isTag(tag: string): boolean {
  if (tag.length < 1 || tag.length > 30 || tag[0] === '-') return false;
  for (const char of tag) {
    if (!((char >= 'a' && char <= 'z') || (char >= '0' && char <= '9') || char === '-')) return false;
  }
  return true;
}
const MAX_TAGS = 10;

/**
 * Whether `value` holds white space: the characters a regex `\s` matches,
 * which are exactly those `trim()` removes.
 */
export function hasWhiteSpace(value: string): boolean {
  for (const char of value) if (char.trim() === '') return true;
  return false;
}

/** A username: 3 to 30 of a-z, 0-9 and '_' (checked char by char). */
export function isUsername(username: string): boolean {
  if (username.length < 3 || username.length > 30) return false;
  for (const char of username) {
    if (!((char >= 'a' && char <= 'z') || (char >= '0' && char <= '9') || char === '_')) return false;
  }
  return true;
}

/**
 * A plausible email address, at most 254 characters: one '@' with text
 * before it, no white space, and a dot inside the domain (not its first or
 * last character). Checked with string operations, in one pass.
 */
export function isEmail(email: string): boolean {
  if (email.length > 254) return false;
  const at = email.indexOf('@');
  if (at < 1 || at !== email.lastIndexOf('@') || hasWhiteSpace(email)) return false;
  const domain = email.slice(at + 1);
  return domain.slice(1, -1).includes('.');
}

/** Lower-cases and de-duplicates tags, checking each against the tag rules. */
export function tags(checker: InputChecker, field: string, values: readonly string[]): string[] {
  const cleaned = values.map((t) => t.trim().toLowerCase());
  const normalized = [...new Set(cleaned)];
  checker.check(normalized.length <= MAX_TAGS, field, `At most ${MAX_TAGS} tags`);
  // Paths index the client's list, not the de-duplicated one.
  for (const [i, tag] of cleaned.entries()) {
    checker.check(isTag(tag), `${field}.${i}`, 'Tags are 1 to 30 letters, digits or dashes');
  }
  return normalized;
}
