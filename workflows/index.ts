export { runbookRun } from './runbookRun';
export { incidentInvestigation } from './incidentInvestigation';
