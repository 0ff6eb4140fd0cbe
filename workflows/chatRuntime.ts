import { ApplicationFailure, patched, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import type { ChatActivities } from '../chat/activities/chatActivities';
import type { CarriedState, ChatSessionInput, ChatSessionState, QueuedMessage, SendMessageInput, SendMessageResult, TokenUsage } from '../chat/model/types';
import { sessionStreamId } from '../chat/model/types';
import { addUsage, EMPTY_USAGE } from '../chat/model/usage';
import { shrinkEventData } from '../domain/eventPayload';
import { PERMANENT_FAILURE, PERMANENT_FAILURE_TYPES, permanentFailureOf } from '../domain/failureTypes';
import { MESSAGE_REJECTION } from './chatDefinitions';

/**
 * The state of one conversation inside its workflow (the compact part carried through
 * continue-as-new) and the one way it reports: events appended through a local activity, keyed
 * `<stream>/<turnId>/<n>` (session + turn id + sequence) so replays never duplicate them.
 */
export interface ChatEvent {
  type: string;
  key: string;
  data: Record<string, unknown>;
}

const local = proxyLocalActivities<ChatActivities>({
  startToCloseTimeout: '30s',
  // Unlimited attempts for outages; never for a value the store refused (activities classify those too).
  retry: { initialInterval: '200ms', backoffCoefficient: 2, maximumInterval: '10s', nonRetryableErrorTypes: [...PERMANENT_FAILURE_TYPES] },
});

/** Summary lines kept in state: enough to orient a model or a human, never the transcript. */
const SUMMARY_LINES = 12;

export class ChatRuntime {
  readonly streamId: string;
  readonly state: CarriedState;
  ended = false;
  endRequestedBy: string | undefined;
  processing: string | undefined;
  lastSeq = 0;
  turnsThisRun = 0;
  private readonly turnSeq = new Map<string, number>();

  constructor(readonly input: ChatSessionInput) {
    this.streamId = sessionStreamId(input.sessionId);
    this.state = input.carried ?? {
      turnCounter: 0,
      summary: [],
      focus: [],
      proposals: [],
      runs: [],
      usage: EMPTY_USAGE,
      queue: [],
      generation: 0,
      startedAt: new Date().toISOString(),
    };
  }

  get options() {
    return this.input.options;
  }

  validate(msg: SendMessageInput): void {
    const content = typeof msg?.content === 'string' ? msg.content.trim() : '';
    if (!content) throw ApplicationFailure.nonRetryable('message must not be empty', MESSAGE_REJECTION.empty);
    if (content.length > this.options.maxMessageChars) {
      throw ApplicationFailure.nonRetryable(`message is longer than ${this.options.maxMessageChars} characters`, MESSAGE_REJECTION.tooLong);
    }
    if (msg.principal?.sub !== this.input.owner.sub) throw ApplicationFailure.nonRetryable('only the session owner may post here', MESSAGE_REJECTION.notOwner);
    if (this.ended || this.endRequestedBy !== undefined) throw ApplicationFailure.nonRetryable('the session has ended', MESSAGE_REJECTION.ended);
    if (this.state.queue.length >= this.options.maxQueued) {
      throw ApplicationFailure.nonRetryable(`${this.state.queue.length} messages are already waiting; try again shortly`, MESSAGE_REJECTION.queueFull);
    }
  }

  /** Synchronous on purpose: an accepted message is in the queue before any other handler runs. */
  accept(msg: SendMessageInput): SendMessageResult {
    this.state.turnCounter += 1;
    const turnId = `t${this.state.turnCounter}`;
    const queued: QueuedMessage = { turnId, content: msg.content.trim(), principal: msg.principal, at: new Date().toISOString() };
    this.state.queue.push(queued);
    return { turnId, afterSeq: this.lastSeq };
  }

  shouldContinueAsNew(): boolean {
    return workflowInfo().continueAsNewSuggested || this.turnsThisRun >= this.options.continueAsNewAfterTurns;
  }

  async emit(events: ChatEvent[]): Promise<void> {
    if (events.length === 0) return;
    const batch = events.map((e) => ({ type: e.type, data: { sessionId: this.input.sessionId, ...e.data }, dedupeKey: `${this.streamId}/${e.key}` }));
    let seq: number;
    try {
      seq = await local.chatEmitEvents(this.streamId, batch);
    } catch (err) {
      // An event over the store's cap (a huge query result or answer) fails permanently; store it
      // with its oversized fields cut rather than lose the turn, or the session, to it. Reachable only
      // since that failure is non-retryable, so the patch leaves older histories replaying as before.
      if (permanentFailureOf(err)?.type !== PERMANENT_FAILURE.eventTooLarge || !patched('chat-event-too-large-shrinks')) throw err;
      seq = await local.chatEmitEvents(
        this.streamId,
        batch.map((e) => ({ ...e, data: shrinkEventData(e.data) })),
      );
    }
    this.lastSeq = Math.max(this.lastSeq, seq);
  }

  /** The next per-turn key: `<turnId>/<n>`. */
  turnKey(turnId: string): string {
    const n = (this.turnSeq.get(turnId) ?? 0) + 1;
    this.turnSeq.set(turnId, n);
    return `${turnId}/${n}`;
  }

  async turnEvent(turnId: string, type: string, data: Record<string, unknown>): Promise<void> {
    await this.emit([{ type, key: this.turnKey(turnId), data: { turnId, ...data } }]);
  }

  addUsage(usage: TokenUsage | undefined): void {
    if (usage && usage.calls > 0) this.state.usage = addUsage(this.state.usage, usage);
  }

  remember(line: string): void {
    this.state.summary.push(line.length > 200 ? `${line.slice(0, 199)}…` : line);
    if (this.state.summary.length > SUMMARY_LINES) this.state.summary.splice(0, this.state.summary.length - SUMMARY_LINES);
  }

  carried(): CarriedState {
    return { ...this.state, generation: this.state.generation + 1, queue: [...this.state.queue] };
  }

  view(): ChatSessionState {
    return {
      sessionId: this.input.sessionId,
      owner: this.input.owner.sub,
      status: this.ended ? 'ended' : 'active',
      turns: this.state.turnCounter,
      queued: this.state.queue.length,
      ...(this.processing ? { processing: this.processing } : {}),
      focus: this.state.focus,
      proposals: this.state.proposals,
      runs: this.state.runs,
      summary: this.state.summary,
      usage: this.state.usage,
      generation: this.state.generation,
      startedAt: this.state.startedAt,
    };
  }
}
