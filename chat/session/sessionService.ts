import { randomUUID } from 'node:crypto';
import { ApplicationFailure, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { CodedError } from '../../domain/codedError';
import type { EventStore, StoredEvent } from '../../domain/events';
import type { Principal } from '../../domain/roles';
import { CopilotKind, RequestedBy, RunStatusKey } from '../../temporal/searchAttributes';
import { decodePageToken, RunClientError, timestampToDate } from '../../temporal/runClient';
import { CHAT_SESSION_WORKFLOW, MESSAGE_REJECTION, chatStateQuery, endSessionSignal, sendMessageUpdate } from '../../workflows/chatDefinitions';
import { SESSION_PREFIX, sessionStreamId, type ChatSessionInput, type ChatSessionOptions, type ChatSessionState, type SendMessageResult } from '../model/types';

/**
 * Chat sessions on the client side of Temporal (the API calls this). A session is the workflow
 * `session-<id>`, owned by the principal who created it (memo + RequestedBy). Messages are redacted
 * here, before they reach workflow history, events, memory or a model.
 */
export type SessionErrorCode = 'not_found' | 'ended' | 'empty' | 'too_long' | 'forbidden' | 'queue_full';

export class SessionError extends CodedError<'session', SessionErrorCode> {
  readonly family = 'session';
}

const REJECTION_CODES: Record<string, SessionErrorCode> = {
  [MESSAGE_REJECTION.empty]: 'empty',
  [MESSAGE_REJECTION.tooLong]: 'too_long',
  [MESSAGE_REJECTION.notOwner]: 'forbidden',
  [MESSAGE_REJECTION.ended]: 'ended',
  [MESSAGE_REJECTION.queueFull]: 'queue_full',
};

export interface SessionTextFilter {
  redact(sessionId: string, text: string): Promise<string>;
  restore(sessionId: string, text: string): Promise<string>;
}

export interface WaitSubscriptions {
  subscribe(streamId: string, afterSeq: number, listener: (event: StoredEvent) => void): { close(): void };
}

export interface SessionServiceDeps {
  client: Client;
  taskQueue: string;
  events: Pick<EventStore, 'list'>;
  fanout: WaitSubscriptions;
  text: SessionTextFilter;
  options: ChatSessionOptions;
}

export interface SessionInfo {
  sessionId: string;
  owner: string;
  closed: boolean;
}

export interface SessionSummary {
  sessionId: string;
  status: 'active' | 'ended';
  startTime: string;
  closeTime?: string;
  /** The first message, for lists. */
  title?: string;
}

export interface HistoryItem {
  seq: number;
  turnId: string;
  role: 'user' | 'assistant';
  content: string;
  at: string;
  degraded?: boolean;
}

const QUERY_TIMEOUT_MS = 10_000;

export class SessionService {
  constructor(private readonly deps: SessionServiceDeps) {}

  private handle(sessionId: string) {
    return this.deps.client.workflow.getHandle(`${SESSION_PREFIX}${sessionId}`);
  }

  async create(principal: Principal): Promise<{ sessionId: string }> {
    const sessionId = randomUUID();
    const input: ChatSessionInput = { sessionId, owner: { sub: principal.sub, roles: principal.roles }, options: this.deps.options };
    await this.deps.client.workflow.start(CHAT_SESSION_WORKFLOW, {
      workflowId: `${SESSION_PREFIX}${sessionId}`,
      taskQueue: this.deps.taskQueue,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      memo: { owner: principal.sub },
      typedSearchAttributes: [
        { key: CopilotKind, value: 'chat' },
        { key: RunStatusKey, value: 'active' },
        { key: RequestedBy, value: principal.sub },
      ],
    });
    return { sessionId };
  }

  async info(sessionId: string): Promise<SessionInfo | undefined> {
    try {
      const d = await this.handle(sessionId).describe();
      return { sessionId, owner: typeof d.memo?.owner === 'string' ? d.memo.owner : '', closed: Boolean(d.closeTime) || d.status.name !== 'RUNNING' };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  async state(sessionId: string): Promise<ChatSessionState> {
    const handle = this.handle(sessionId);
    try {
      return await this.deps.client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () => handle.query(chatStateQuery));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new SessionError('not_found', `session ${sessionId} does not exist`);
      throw err;
    }
  }

  async send(sessionId: string, principal: Principal, content: string): Promise<SendMessageResult> {
    const redacted = await this.deps.text.redact(sessionId, content);
    const args = [{ content: redacted, principal: { sub: principal.sub, roles: principal.roles } }] as const;
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.handle(sessionId).executeUpdate(sendMessageUpdate, { args: [...args] });
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
          const code = REJECTION_CODES[err.cause.type ?? ''];
          if (code) throw new SessionError(code, err.cause.message);
        }
        if (!(err instanceof WorkflowNotFoundError)) throw err;
        // An update that lands while the run continues as new finds that run closed; the session
        // itself is still open, so the next attempt reaches the new run.
        const info = await this.info(sessionId);
        if (!info) throw new SessionError('not_found', `session ${sessionId} does not exist`);
        if (info.closed || attempt >= 3) throw new SessionError('ended', `session ${sessionId} has ended`);
      }
    }
  }

  /** Resolves with the turn's `reply.completed` data, or undefined after `timeoutMs`. */
  waitForReply(sessionId: string, turnId: string, afterSeq: number, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
    return new Promise((resolve) => {
      let done = false;
      const finish = (value: Record<string, unknown> | undefined) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        // The listener may fire while subscribe() is still returning.
        queueMicrotask(() => subscription.close());
        resolve(value);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      const subscription = this.deps.fanout.subscribe(sessionStreamId(sessionId), afterSeq, (event) => {
        if (event.type === 'reply.completed' && event.data.turnId === turnId) finish(event.data);
      });
    });
  }

  async restore(sessionId: string, text: string): Promise<string> {
    return this.deps.text.restore(sessionId, text);
  }

  async end(sessionId: string, by: string): Promise<void> {
    try {
      await this.handle(sessionId).signal(endSessionSignal, { by });
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err; // already ended: nothing to do
    }
  }

  /**
   * The owner's sessions, newest first, from visibility (CopilotKind=chat, RequestedBy=owner), each
   * titled with its first message (restored for its owner, cut to 80 characters).
   */
  async list(owner: string, pageSize: number, pageToken?: string): Promise<{ items: SessionSummary[]; nextPageToken?: string }> {
    const token = pageToken ? decodePageToken(pageToken) : undefined;
    let response;
    try {
      response = await this.deps.client.workflowService.listWorkflowExecutions({
        namespace: this.deps.client.options.namespace,
        // This deployment's sessions only (its task queue): another one sharing the namespace has its own.
        query: `CopilotKind = "chat" AND RequestedBy = ${JSON.stringify(owner)} AND TaskQueue = ${JSON.stringify(this.deps.taskQueue)}`,
        pageSize,
        nextPageToken: token,
      });
    } catch (err) {
      if (pageToken && (err as { code?: number }).code === 3) throw new RunClientError('invalid_page_token', 'pageToken is not a token this server issued');
      throw err;
    }
    const items = await Promise.all(
      response.executions.map(async (raw): Promise<SessionSummary> => {
        const workflowId = raw.execution?.workflowId ?? '';
        const sessionId = workflowId.startsWith(SESSION_PREFIX) ? workflowId.slice(SESSION_PREFIX.length) : workflowId;
        const startTime = timestampToDate(raw.startTime);
        const closeTime = timestampToDate(raw.closeTime);
        const first = (await this.deps.events.list(sessionStreamId(sessionId), 0, 20)).find((e) => e.type === 'turn.started');
        const content = typeof first?.data.content === 'string' ? await this.deps.text.restore(sessionId, first.data.content) : undefined;
        return {
          sessionId,
          status: closeTime ? 'ended' : 'active',
          startTime: (startTime ?? new Date(0)).toISOString(),
          ...(closeTime ? { closeTime: closeTime.toISOString() } : {}),
          ...(content !== undefined ? { title: content.length > 80 ? `${content.slice(0, 79)}…` : content } : {}),
        };
      }),
    );
    const next = response.nextPageToken;
    return next && next.length > 0 ? { items, nextPageToken: Buffer.from(next).toString('base64url') } : { items };
  }

  /** The transcript from the event log: user turns and completed replies, oldest first, by seq cursor. */
  async history(sessionId: string, after: number, limit: number): Promise<{ items: HistoryItem[]; nextCursor?: number }> {
    const items: HistoryItem[] = [];
    let cursor = after;
    for (let page = 0; page < 20 && items.length < limit; page++) {
      const events = await this.deps.events.list(sessionStreamId(sessionId), cursor, 500);
      for (const e of events) {
        cursor = e.seq;
        if (e.type === 'turn.started' || e.type === 'reply.completed') {
          const raw = e.type === 'turn.started' ? e.data.content : e.data.text;
          const content = await this.deps.text.restore(sessionId, typeof raw === 'string' ? raw : '');
          items.push({
            seq: e.seq,
            turnId: typeof e.data.turnId === 'string' ? e.data.turnId : '',
            role: e.type === 'turn.started' ? 'user' : 'assistant',
            content,
            at: e.createdAt,
            ...(e.type === 'reply.completed' ? { degraded: e.data.degraded === true } : {}),
          });
          if (items.length >= limit) return { items, nextCursor: cursor };
        }
      }
      if (events.length < 500) return { items };
    }
    return { items, nextCursor: cursor };
  }
}
