import type { XsdType } from '@acs/cwmp';

/** A parameter definition inside an object definition of a bundled model file. */
export interface ModelParameter {
  /** Last path segment, e.g. `PeriodicInformInterval`. */
  name: string;
  type: XsdType;
  writable: boolean;
  /** Factory default (BBF `default type="factory"`), lexical form. */
  default?: string;
  /** Always carried in Inform.ParameterList (cwmp-protocol.md §10.3). */
  forcedInform?: boolean;
  /** Active notification on by default (BBF activeNotify forceEnabled / forceDefaultEnabled). */
  activeNotify?: boolean;
}

/** An object definition: a BBF path, `{i}` standing for an instance number. */
export interface ModelObject {
  path: string;
  /** The path ends in `.{i}.`: a multi-instance table entry. */
  table?: boolean;
  /** For tables: instances may be added and deleted by the ACS. */
  writable: boolean;
  parameters: ModelParameter[];
}

/**
 * The layout of `models/*.json`: object definitions (the schema, also used as the template
 * for AddObject), instance counts per concrete table path, and factory values per concrete
 * parameter path. Values may hold `{{placeholders}}` filled per CPE (see ModelContext).
 */
export interface ModelFile {
  root: string;
  description: string;
  source: string;
  objects: ModelObject[];
  instances: Record<string, number>;
  values: Record<string, string>;
}
