import { allHandlersFinished, condition, continueAsNew, setHandler } from '@temporalio/workflow';
import type { ChatSessionInput, SendMessageInput } from '../chat/model/types';
import { ChatActions } from './chatActions';
import { chatStateQuery, endSessionSignal, sendMessageUpdate } from './chatDefinitions';
import { ChatRuntime } from './chatRuntime';
import { processTurn } from './chatTurn';

/**
 * One conversation (workflow id `session-<id>`), alive for days. Messages arrive as the
 * `sendMessage` update (validated before they reach history) and are processed one at a time in
 * order; a burst waits in the queue. Replies stream as events on the session's durable stream.
 * Well before history limits the workflow continues as new with a compact state (summary, focus,
 * open proposals, followed runs, usage, queued messages) — the transcript stays in the event log.
 */
export async function chatSession(input: ChatSessionInput): Promise<void> {
  const rt = new ChatRuntime(input);
  const actions = new ChatActions(rt);

  setHandler(chatStateQuery, () => rt.view(), { description: 'The session: status, entities in focus, open proposals, followed runs, token usage.' });
  setHandler(sendMessageUpdate, (msg: SendMessageInput) => rt.accept(msg), {
    validator: (msg: SendMessageInput) => rt.validate(msg),
    description: 'Post a user message {"content":"…","principal":{"sub":"…","roles":[…]}}; returns the turn id. Empty, oversized or foreign messages are refused.',
  });
  setHandler(
    endSessionSignal,
    (e) => {
      rt.endRequestedBy ??= e?.by ?? 'unknown';
    },
    { description: 'End the conversation: {"by":"<who>"}.' },
  );

  if (input.carried) {
    await rt.emit([{ type: 'session.continued', key: `session.continued/${rt.state.generation}`, data: { generation: rt.state.generation } }]);
  } else {
    await rt.emit([{ type: 'session.started', key: 'session.started', data: { owner: input.owner.sub } }]);
  }
  actions.resumeFollowing();

  for (;;) {
    if (rt.endRequestedBy !== undefined) break;
    if (rt.shouldContinueAsNew()) {
      actions.stopFollowing();
      await condition(allHandlersFinished);
      // Nothing awaits between the snapshot and the command: no accepted message can be lost.
      return continueAsNew<typeof chatSession>({ ...input, carried: rt.carried() });
    }
    await condition(() => rt.state.queue.length > 0 || rt.endRequestedBy !== undefined || rt.shouldContinueAsNew());
    const next = rt.state.queue.shift();
    if (!next || rt.endRequestedBy !== undefined) {
      if (next) rt.state.queue.unshift(next);
      continue;
    }
    await processTurn(rt, actions, next);
    rt.turnsThisRun += 1;
  }

  actions.stopFollowing();
  rt.ended = true;
  rt.state.proposals = [];
  await rt.emit([{ type: 'session.ended', key: 'session.ended', data: { by: rt.endRequestedBy ?? 'unknown', turns: rt.state.turnCounter } }]);
  await condition(allHandlersFinished);
}
