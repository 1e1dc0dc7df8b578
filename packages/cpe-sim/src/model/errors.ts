import { CodedError } from '../coded-error.js';

/** RPC_FAULT: the model answered a provisioning RPC (AddObject, SetParameterValues) with a CWMP fault. */
export type ModelErrorCode = 'UNREADABLE' | 'BAD_CSV' | 'NO_ROOT' | 'UNKNOWN_PATH' | 'UNKNOWN_MODEL' | 'RPC_FAULT';

/** A model file or dump that cannot be turned into a data model, or a model that refused a provisioning RPC. */
export class ModelError extends CodedError<ModelErrorCode> {
  override readonly name = 'ModelError';
}
