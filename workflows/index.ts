export { runbookRun } from './runbookRun';
export { incidentInvestigation } from './incidentInvestigation';
export { chatSession } from './chatSession';
