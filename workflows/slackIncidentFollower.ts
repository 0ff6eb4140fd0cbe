import { proxyActivities } from '@temporalio/workflow';
import type { SlackActivities } from '../slack/slackActivities';
import type { FollowIncidentInput } from '../slack/slackTypes';

/**
 * One incident's card in SLACK_INCIDENTS_CHANNEL (workflow id `slack-incident-<incidentId>`):
 * posted on `incident.started`, re-rendered from the incident's state on new hypotheses, proposed
 * actions, feedback, notes and remediations, until it is resolved. Heartbeats the seq it reached.
 */
const follower = proxyActivities<SlackActivities>({
  startToCloseTimeout: '30d',
  heartbeatTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '2m' },
});

export async function slackIncidentFollower(input: FollowIncidentInput): Promise<void> {
  await follower.slackFollowIncident(input);
}
