export { runbookRun } from './runbookRun';
