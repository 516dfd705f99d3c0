/**
 * A PATCH that names no field (`{}` or no body) changes nothing: the services answer with the
 * current row and write neither the row nor an audit record.
 */
export const isEmptyPatch = (patch: object): boolean => Object.values(patch).every((v) => v === undefined);
