/** An error a simulated service answers with, in the service's own wire shape. */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  /** Sender (client fault) or Receiver (server fault), as awsQuery error bodies say. */
  readonly fault: 'Sender' | 'Receiver';

  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'AwsError';
    this.code = code;
    this.status = status;
    this.fault = status >= 500 ? 'Receiver' : 'Sender';
  }
}
