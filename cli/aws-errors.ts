/** An AWS SDK error in one line: its name, and a message that says what to do where it can. */
export function describeAwsError(err: unknown, endpoint?: string): { name: string; message: string } {
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string } };
  const name = e?.name ?? 'Error';
  const text = (e?.message ?? String(err)).split('\n')[0]!;
  const code = e?.code ?? e?.cause?.code;
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(text)) {
    return {
      name: 'ConnectionRefused',
      message: `nothing answers at ${endpoint ?? 'the endpoint'}${endpoint ? ' (is `npm run sim` running?)' : ''}`,
    };
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { name: 'NoNetwork', message: `cannot reach AWS: ${text}` };
  if (name === 'CredentialsProviderError' || /Could not load credentials/.test(text)) {
    return {
      name: 'NoCredentials',
      message: 'no AWS credentials (set AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)',
    };
  }
  return { name, message: `${name}: ${text}` };
}
