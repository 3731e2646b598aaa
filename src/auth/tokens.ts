import jwt from 'jsonwebtoken';
import type { AppConfig } from '../config.ts';

const ALGORITHM = 'HS256' as const;
const CLOCK_TOLERANCE_SECONDS = 5;

export interface AccessToken {
  token: string;
  expiresAt: Date;
}

export interface AccessClaims {
  userId: string;
  expiresAt: Date;
}

export class TokenService {
  constructor(private readonly options: AppConfig['jwt']) {}

  issueAccessToken(userId: string): AccessToken {
    const token = jwt.sign({ typ: 'access' }, this.options.secret, {
      algorithm: ALGORITHM,
      subject: userId,
      issuer: this.options.issuer,
      audience: this.options.audience,
      expiresIn: this.options.accessTokenTtlSeconds,
    });
    const { exp } = jwt.decode(token) as { exp: number };
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** Returns the claims of a valid access token, or null for anything else. */
  verifyAccessToken(token: string): AccessClaims | null {
    try {
      const payload = jwt.verify(token, this.options.secret, {
        algorithms: [ALGORITHM],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      if (typeof payload === 'string') return null;
      if (payload.typ !== 'access' || typeof payload.sub !== 'string' || typeof payload.exp !== 'number') return null;
      return { userId: payload.sub, expiresAt: new Date(payload.exp * 1000) };
    } catch {
      return null;
    }
  }
}
