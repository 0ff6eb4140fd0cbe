import { ServiceError } from '@temporalio/client';
import { toProblem } from '../../api/errorHandler';

/** Temporal's transient refusals reach the client as 503 problems (try again), never as a 500. */
function grpc(code: number, details: string): ServiceError {
  return new ServiceError(details, { cause: Object.assign(new Error(details), { code, details }) });
}

test('an update refused while the workflow task is being retried, and the server rate limit, are 503', () => {
  const busy = toProblem(grpc(9, 'Workflow Task in failed state.'));
  expect(busy).toMatchObject({ status: 503, type: expect.stringContaining('temporal-unavailable') });
  expect(toProblem(grpc(8, 'namespace rate limit exceeded'))).toMatchObject({ status: 503 });
  expect(toProblem(grpc(14, 'unavailable'))).toMatchObject({ status: 503 });
});

test('other FAILED_PRECONDITION answers are not guessed to be transient', () => {
  expect(toProblem(grpc(9, 'something else entirely'))).toBeUndefined();
});
