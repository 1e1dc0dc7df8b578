export * from './types.js';
export { decode, decodeAsync, DEFAULT_MAX_BYTES, KNOWN_METHODS } from './decode.js';
export type { Decoded, DecodedKind, DecodeOptions } from './decode.js';
export { encode } from './encode.js';
export type { EncodeOptions } from './encode.js';
export { CwmpParseError, CwmpEncodeError, CwmpValueError } from './errors.js';
export type { CwmpParseErrorCode, CwmpEncodeErrorCode } from './errors.js';
export {
  CWMP_NAMESPACES,
  CWMP_VERSIONS,
  SOAP_ENV_NS,
  SOAP_ENC_NS,
  XSD_NS,
  XSI_NS,
  isCwmpNamespace,
  versionFromInform,
  negotiateVersion,
} from './namespaces.js';
export { ACS_FAULTS, CPE_FAULTS, faultInfo, makeFault } from './faults.js';
export type { AcsFaultCode, CpeFaultCode, KnownFaultCode } from './faults.js';
export { toTyped, fromTyped, validateValue, xsdTypeFromLocalName } from './values.js';
export type { TypedValue, FromTypedOptions } from './values.js';
