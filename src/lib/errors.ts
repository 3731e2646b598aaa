import { GraphQLError } from 'graphql';

/** Mirrors `enum ErrorCode` in schema.graphql: every error we raise carries one. */
export const ERROR_CODES = [
  'BAD_REQUEST',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'CONFLICT',
  'INVALID_CREDENTIALS',
  'RATE_LIMITED',
  'IDEMPOTENCY_KEY_REUSED',
  'OPERATION_TOO_COMPLEX',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldError {
  /** Dotted path of the offending argument or input field, e.g. `input.title`. */
  field: string;
  message: string;
}

/** An expected failure: its message and extensions are safe to show to clients. */
export class AppError extends GraphQLError {
  constructor(code: ErrorCode, message: string, extensions: Record<string, unknown> = {}) {
    super(message, { extensions: { code, ...extensions } });
  }
}

export class ValidationError extends AppError {
  constructor(fieldErrors: FieldError[]) {
    const [first] = fieldErrors;
    const message = fieldErrors.length === 1 ? `${first!.field}: ${first!.message}` : 'Invalid input';
    super('BAD_USER_INPUT', message, { field: first?.field, fieldErrors });
  }
}

export const unauthenticated = (message = 'You must be signed in to do this') => new AppError('UNAUTHENTICATED', message);
export const forbidden = (message = 'You may not do this') => new AppError('FORBIDDEN', message);
export const notFound = (what: string, field?: string) => new AppError('NOT_FOUND', `${what} not found`, field ? { field } : {});
export const badInput = (field: string, message: string) => new ValidationError([{ field, message }]);

/**
 * Collects field errors so a mutation reports every invalid field at once.
 * `check` records an error when `ok` is false; `throwIfAny` raises them together.
 */
export class InputChecker {
  private readonly errors: FieldError[] = [];
  check(ok: boolean, field: string, message: string): void {
    if (!ok) this.errors.push({ field, message });
  }
  throwIfAny(): void {
    if (this.errors.length > 0) throw new ValidationError(this.errors);
  }
}
