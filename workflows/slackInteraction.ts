import { proxyActivities } from '@temporalio/workflow';
import type { SlackActivities } from '../slack/slackActivities';
import type { SlackMessageWork, SlackWork } from '../slack/slackTypes';

/**
 * One acknowledged Slack request (event, click, slash command). The workflow id is derived from
 * Slack's own ids (event_id, the action's message + action_ts, the command's trigger), so a
 * retried delivery starts nothing new. Every Slack Web API call happens in the activities, whose
 * retries honour Slack's Retry-After (slack/webApi.ts); decisions go through the gate's update
 * validator like every other surface's.
 */
const quick = proxyActivities<SlackActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
});

const streaming = proxyActivities<SlackActivities>({
  startToCloseTimeout: '10m',
  heartbeatTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 20 },
});

async function chat(work: SlackMessageWork): Promise<void> {
  const { runIds } = await streaming.slackChatTurn(work);
  for (const runId of runIds) await quick.slackStartFollower({ runId, channel: work.channel, threadTs: work.threadTs || work.ts });
}

export async function slackInteraction(work: SlackWork): Promise<void> {
  switch (work.kind) {
    case 'message':
      return chat(work);
    case 'gate':
      return quick.slackDecideGate(work);
    case 'incident':
      return quick.slackIncidentAction(work);
    case 'proposal': {
      const { send } = await quick.slackAnswerProposal(work);
      if (send) await chat(send);
      return;
    }
    case 'command': {
      const plan = await quick.slackPlanCommand(work);
      if (plan.kind === 'gate') await quick.slackDecideGate(plan.work);
      if (plan.kind === 'chat') await chat(plan.work);
      return;
    }
  }
}
