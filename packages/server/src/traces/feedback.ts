/**
 * Browser-safe user feedback: an application's backend (holding an API key) mints a short-lived,
 * write-only token for one trace and hands it to its page; the page posts a score with it to
 * `POST /api/v1/feedback` without any key. The token is the project, trace and expiry sealed with
 * the server's secret box (AES-256-GCM, authenticated), so it cannot be altered or made for
 * another trace, and it can do nothing but add `source: user` scores to that trace.
 */
import {
  AppError,
  type FeedbackRequest,
  type FeedbackToken,
  type MintFeedbackTokenRequest,
  type Score,
} from '@promptline/core';
import type { SecretBox } from '@promptline/core/node';
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import type { TraceService } from './service.ts';

/** Binds the sealed text to this use: a credential sealed by the same box never passes as a token. */
const PURPOSE = 'promptline-feedback-token';
const Sealed = z.object({ p: z.number().int(), t: z.string(), e: z.number() });

const invalid = () =>
  new AppError(
    'FEEDBACK_TOKEN_INVALID',
    'The feedback token is not valid for this server (altered, truncated or minted by another server key). Mint a new one with POST /api/v1/traces/{traceId}/feedback-tokens.',
  );

export function createFeedbackTokens({
  secretBox,
  clock,
  traces,
}: {
  secretBox: SecretBox;
  clock: Clock;
  traces: TraceService;
}) {
  return {
    /** A token for `traceId` (the trace need not be stored yet: spans may follow the page). */
    mint(projectId: number, traceId: string, request: MintFeedbackTokenRequest): FeedbackToken {
      const expires = clock.now().getTime() + request.ttlSeconds * 1_000;
      const token = secretBox.encrypt(JSON.stringify({ p: projectId, t: traceId, e: expires }), PURPOSE);
      return { token, traceId, expiresAt: new Date(expires).toISOString() };
    },

    /**
     * Stores the feedback as a `source: user` score of the token's trace.
     *
     * @throws AppError FEEDBACK_TOKEN_INVALID, FEEDBACK_TOKEN_EXPIRED, TRACE_NOT_FOUND, SPAN_NOT_FOUND
     */
    async redeem(request: FeedbackRequest): Promise<Score> {
      let sealed: z.infer<typeof Sealed>;
      try {
        sealed = Sealed.parse(JSON.parse(secretBox.decrypt(request.token, PURPOSE)));
      } catch {
        // Undecryptable, not JSON, or not our shape: the same answer, revealing nothing.
        throw invalid();
      }
      if (sealed.e <= clock.now().getTime()) {
        throw new AppError(
          'FEEDBACK_TOKEN_EXPIRED',
          `The feedback token expired at ${new Date(sealed.e).toISOString()}. Mint a new one with POST /api/v1/traces/{traceId}/feedback-tokens.`,
        );
      }
      const { token: _token, ...score } = request;
      return traces.score(sealed.p, { ...score, traceId: sealed.t, source: 'user' });
    },
  };
}

export type FeedbackTokens = ReturnType<typeof createFeedbackTokens>;
