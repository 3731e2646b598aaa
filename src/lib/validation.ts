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
