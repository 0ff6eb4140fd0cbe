export { runbookRun } from './runbookRun';
export { incidentInvestigation } from './incidentInvestigation';
export { chatSession } from './chatSession';
export { slackInteraction } from './slackInteraction';
export { slackRunFollower } from './slackRunFollower';
export { slackIncidentFollower } from './slackIncidentFollower';
