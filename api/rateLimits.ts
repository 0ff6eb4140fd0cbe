import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type Redis from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/env';
import type { Principal } from '../domain/roles';
import { HttpProblem } from './problem';

/**
 * Request rate limits (rate-limiter-flexible, fixed one-minute windows):
 * - per client IP before authentication, so a flood of unauthenticated requests never reaches the
 *   token check, plus a much lower allowance of failed authentications per IP (token guessing);
 * - per authenticated subject, shared by every surface that calls the API as that subject;
 * - per source on the Alertmanager webhook (its token, else its IP), so one noisy Alertmanager
 *   cannot starve the others.
 * With Redis the counters are shared by every API replica; each Redis limiter has an in-memory
 * insurance limiter, so a Redis outage degrades to per-replica limits instead of failing requests.
 * A limit of 0 turns that limit off.
 */
export interface RateLimitSettings {
  perSubjectPerMinute: number;
  perIpPerMinute: number;
  authFailuresPerIpPerMinute: number;
  webhookPerSourcePerMinute: number;
}

const WINDOW_SECONDS = 60;

interface Limiter {
  name: string;
  points: number;
  limiter: RateLimiterAbstract;
}

function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

function isRateLimiterRes(value: unknown): value is RateLimiterRes {
  return value instanceof RateLimiterRes;
}

function setRateHeaders(res: Response, limit: Limiter, state: RateLimiterRes): void {
  res.setHeader('RateLimit-Limit', String(limit.points));
  res.setHeader('RateLimit-Remaining', String(Math.max(0, state.remainingPoints)));
  res.setHeader('RateLimit-Reset', String(Math.ceil(state.msBeforeNext / 1000)));
}

function tooMany(limit: Limiter, who: string, state: RateLimiterRes): HttpProblem {
  const retryAfter = Math.max(1, Math.ceil(state.msBeforeNext / 1000));
  return new HttpProblem(
    429,
    'rate-limited',
    `too many requests ${who}: the limit is ${limit.points} per ${WINDOW_SECONDS} s (${limit.name}); retry after ${retryAfter} s`,
    undefined,
    {
      'Retry-After': String(retryAfter),
      'RateLimit-Limit': String(limit.points),
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': String(retryAfter),
    },
  );
}

export class RateLimits {
  private readonly subject?: Limiter;
  private readonly ip?: Limiter;
  private readonly authFailures?: Limiter;
  private readonly webhook?: Limiter;

  constructor(
    settings: RateLimitSettings,
    private readonly log?: Logger,
    redis?: Redis,
    /** Redis key prefix: replicas of one deployment must share it. */
    keyPrefix = 'copilot:rl',
  ) {
    const make = (name: string, points: number): Limiter | undefined => {
      if (points <= 0) return undefined;
      const options = { keyPrefix: `${keyPrefix}:${name}`, points, duration: WINDOW_SECONDS };
      const memory = new RateLimiterMemory(options);
      const limiter = redis ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: memory }) : memory;
      return { name, points, limiter };
    };
    this.subject = make('subject', settings.perSubjectPerMinute);
    this.ip = make('ip', settings.perIpPerMinute);
    this.authFailures = make('auth-failures', settings.authFailuresPerIpPerMinute);
    this.webhook = make('webhook', settings.webhookPerSourcePerMinute);
  }

  /** Consumes one point; answers 429 when the key is over its limit. Store errors let the request through. */
  private async take(limit: Limiter | undefined, key: string, who: string, res: Response): Promise<void> {
    if (!limit) return;
    try {
      setRateHeaders(res, limit, await limit.limiter.consume(key));
    } catch (err) {
      if (isRateLimiterRes(err)) throw tooMany(limit, who, err);
      // Only reachable without an insurance limiter; failing open keeps the API usable.
      this.log?.warn({ err, limiter: limit.name }, 'rate limiter unavailable; request let through');
    }
  }

  /** Before authentication: every request by client IP, and IPs that keep failing authentication. */
  beforeAuth(): RequestHandler {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      const ip = clientIp(req);
      if (this.authFailures) {
        const failures = this.authFailures;
        const state = await failures.limiter.get(ip).catch(() => null);
        if (state && state.consumedPoints >= failures.points) throw tooMany(failures, 'with failed authentication from this address', state);
        res.once('finish', () => {
          if (res.statusCode === 401) void failures.limiter.penalty(ip).catch(() => undefined);
        });
      }
      await this.take(this.ip, ip, 'from this address', res);
      next();
    };
  }

  /** After authentication: per subject. */
  perSubject(): RequestHandler {
    return async (_req: Request, res: Response, next: NextFunction): Promise<void> => {
      const principal = res.locals.principal as Principal | undefined;
      if (principal) await this.take(this.subject, principal.sub, `for ${principal.sub}`, res);
      next();
    };
  }

  /** Webhooks: per sender address (each Alertmanager replica is its own source). */
  perWebhookSource(): RequestHandler {
    return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      await this.take(this.webhook, clientIp(req), 'from this webhook source', res);
      next();
    };
  }
}

export function rateLimitsFromConfig(config: AppConfig, log?: Logger, redis?: Redis): RateLimits {
  return new RateLimits(
    {
      perSubjectPerMinute: config.RATE_LIMIT_PER_SUBJECT,
      perIpPerMinute: config.RATE_LIMIT_PER_IP,
      authFailuresPerIpPerMinute: config.RATE_LIMIT_AUTH_FAILURES_PER_IP,
      webhookPerSourcePerMinute: config.RATE_LIMIT_WEBHOOK_PER_SOURCE,
    },
    log,
    redis,
  );
}
