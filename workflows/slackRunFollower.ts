import { proxyActivities } from '@temporalio/workflow';
import type { SlackActivities } from '../slack/slackActivities';
import type { FollowRunInput } from '../slack/slackTypes';

/**
 * Follows one run's event stream into Slack (workflow id `slack-run-<runId>`): progress in the
 * run's thread, approval cards in the thread and SLACK_APPROVALS_CHANNEL, and their update to
 * "approved by X at T" whatever surface decided (API, console, CLI, chat, Temporal UI signal),
 * expiry included. One long activity that heartbeats the run seq it reached, so a retry (worker
 * restart, Slack 429) resumes there; every post is keyed in `slack_messages`, so none repeats.
 */
const follower = proxyActivities<SlackActivities>({
  startToCloseTimeout: '30d',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m' },
});

export async function slackRunFollower(input: FollowRunInput): Promise<void> {
  await follower.slackFollowRun(input);
}
