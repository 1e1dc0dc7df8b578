export {
  ATTR_BINDING_CHANGE,
  ATTR_CONNECTION_REQUEST_BINDING,
  BINDING_ERROR_RESPONSE,
  BINDING_REQUEST,
  BINDING_RESPONSE,
  CONNECTION_REQUEST_BINDING_VALUE,
  MAGIC_COOKIE,
} from './tr111.js';
export { appendMessageIntegrity, messageIntegrity, verifyMessageIntegrity, type IntegrityVariant } from './integrity.js';
export {
  BindingResponseCache,
  decodeStunMessage,
  encodeBindingError,
  encodeBindingRequest,
  encodeBindingResponse,
  newTransactionId,
  readBindingRequest,
  type BindingRequestOptions,
  type StunDatagram,
  type StunMessageKind,
  type TransportAddress,
} from './message.js';
export {
  UdpConnectionRequestGuard,
  encodeUdpConnectionRequest,
  newUdpConnectionRequestFields,
  parseUdpConnectionRequest,
  udpConnectionRequestSignature,
  verifyUdpConnectionRequest,
  type UdpConnectionRequest,
  type UdpConnectionRequestFields,
  type UdpConnectionRequestParse,
  type UdpConnectionRequestVerdict,
} from './udp-connection-request.js';
