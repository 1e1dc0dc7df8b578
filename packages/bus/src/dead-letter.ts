import { ERROR_CODES, type DeadLetter, type Subjects } from '@acs/contracts';
import type { Bus, DurableMessage } from './bus.js';

/**
 * Moves a durable message that failed validation to its dead-letter subject (`<prefix>.dlq.<subject>`) with
 * everything needed to replay it, then `term()`s it so it is never redelivered. The msgId derives from the stream
 * position, so a retry after a crash between publish and term stores the letter once.
 */
export async function deadLetter(
  bus: Bus,
  subjects: Pick<Subjects, 'deadLetter'>,
  msg: DurableMessage,
  why: { readonly message: string; readonly issues?: DeadLetter['issues']; readonly receivedAt: Date },
): Promise<void> {
  const letter: DeadLetter = {
    subject: msg.subject,
    reason: ERROR_CODES.INVALID_PAYLOAD,
    message: why.message,
    ...(why.issues === undefined ? {} : { issues: why.issues }),
    payloadBase64: Buffer.from(msg.data).toString('base64'),
    headers: Object.fromEntries(Object.entries(msg.headers).map(([k, v]) => [k, [v]])),
    deliveryCount: msg.deliveryCount,
    receivedAt: why.receivedAt.toISOString(),
  };
  await bus.publishDurable(subjects.deadLetter(msg.subject), letter, { msgId: `${msg.stream}:${msg.seq}` });
  await msg.term();
}
