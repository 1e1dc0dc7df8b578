export { BusReply, withHeaders } from './bus.js';
export type {
  Bus,
  BusErrorReporter,
  BusHeaders,
  BusMessage,
  BusPayload,
  Consumer,
  ConsumeOptions,
  DurableHandler,
  DurableMessage,
  MessageHandler,
  PublishDurableOptions,
  PublishDurableResult,
  PublishOptions,
  RequestOptions,
  ServeHandler,
  ServiceDescription,
  ServiceEndpoint,
  ServiceHandle,
  SubscribeOptions,
  Subscription,
} from './bus.js';
export {
  BusClosedError,
  BusConfigError,
  BusTimeoutError,
  BusUnavailableError,
  InvalidSubjectError,
  NoRespondersError,
  StreamNotFoundError,
} from './errors.js';
export { createMemoryBus, MemoryBroker, MemoryBus } from './memory-bus.js';
export type { MemoryBusOptions } from './memory-bus.js';
export { createNatsBus, NatsBus } from './nats-bus.js';
export type { NatsBusOptions } from './nats-bus.js';
export { deadLetter } from './dead-letter.js';
export { consumeBounded } from './bounded-consumer.js';
export type { BoundedConsumeOptions, BoundedConsumer, BoundedDelivery, BoundedHandler } from './bounded-consumer.js';
export { Semaphore } from './semaphore.js';
