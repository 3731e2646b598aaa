import jwt, { type JwtHeader } from 'jsonwebtoken';
import jwksRsa from 'jwks-rsa';
import type { AppConfig } from '../config.ts';

const CLOCK_TOLERANCE_SECONDS = 5;

export interface ExternalClaims {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  preferredUsername: string | null;
  name: string | null;
  expiresAt: Date;
}

/**
 * Verifies access tokens of an external OpenID Connect provider against its
 * JWKS. Keys are cached by `kid`; an unknown `kid` refetches the set (rate
 * limited), which is how provider key rotation is followed.
 */
export class OidcVerifier {
  private readonly jwks: jwksRsa.JwksClient;

  constructor(private readonly options: NonNullable<AppConfig['oidc']>) {
    this.jwks = jwksRsa({
      jwksUri: options.jwksUrl,
      cache: true,
      cacheMaxAge: 10 * 60_000,
      rateLimit: true,
      jwksRequestsPerMinute: 10,
      timeout: 5_000,
    });
  }

  get issuer(): string {
    return this.options.issuer;
  }

  async verify(token: string): Promise<ExternalClaims | null> {
    const decoded = jwt.decode(token, { complete: true });
    const header = decoded?.header as JwtHeader | undefined;
    if (!header?.kid || (header.alg !== 'RS256' && header.alg !== 'ES256')) return null;
    let key: string;
    try {
      key = (await this.jwks.getSigningKey(header.kid)).getPublicKey();
    } catch {
      return null;
    }
    try {
      const payload = jwt.verify(token, key, {
        algorithms: ['RS256', 'ES256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
      });
      if (typeof payload === 'string' || typeof payload.sub !== 'string' || typeof payload.exp !== 'number') return null;
      const claim = (name: string) => (typeof payload[name] === 'string' ? (payload[name] as string) : null);
      return {
        issuer: this.options.issuer,
        subject: payload.sub,
        email: claim('email'),
        emailVerified: payload.email_verified === true,
        preferredUsername: claim('preferred_username'),
        name: claim('name'),
        expiresAt: new Date(payload.exp * 1000),
      };
    } catch {
      return null;
    }
  }
}
